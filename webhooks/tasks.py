from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit.services import audit_prune
from deliveries.retention import report_keys_prune, status_events_prune
from dlrdash.partitions import partitions_ensure

from . import inbox, rejections, retention, vocabulary


@shared_task(acks_late=True)
def drain_inbox() -> int:
    """Process every pending inbound event. Also run periodically, as the sweeper."""
    return inbox.inbox_drain()


@shared_task
def prune() -> dict[str, int]:
    """Daily maintenance: the coming months' partitions (PostgreSQL), then retention of raw
    bodies, old log rows, old status history, old dedup keys and old audit entries (rollups
    are kept)."""
    created = partitions_ensure()
    cleared, deleted, inbox_dropped = retention.inbox_prune()
    history_dropped, history_deleted = status_events_prune()
    return {
        "partitions_created": len(created),
        "bodies_cleared": cleared,
        "inbound_events_deleted": deleted,
        "inbound_event_partitions_dropped": len(inbox_dropped),
        "status_events_deleted": history_deleted,
        "status_event_partitions_dropped": len(history_dropped),
        "report_keys_deleted": report_keys_prune(),
        "rejection_counts_deleted": rejections.rejection_counts_prune(
            before=timezone.now() - timedelta(days=settings.RETENTION_INBOUND_EVENT_DAYS)
        ),
        "audit_entries_deleted": audit_prune(),
        "unmapped_statuses_deleted": vocabulary.unmapped_statuses_prune(
            before=timezone.now() - timedelta(days=settings.RETENTION_INBOUND_EVENT_DAYS)
        ),
    }
