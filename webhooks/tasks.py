from celery import shared_task

from deliveries.services import report_keys_prune, status_events_prune

from . import services


@shared_task(acks_late=True)
def drain_inbox() -> int:
    """Process every pending inbound event. Also run periodically, as the sweeper."""
    return services.inbox_drain()


@shared_task
def prune() -> dict[str, int]:
    """Daily retention: raw bodies, old log rows, old status history, old dedup keys
    (rollups are kept)."""
    cleared, deleted = services.inbox_prune()
    return {
        "bodies_cleared": cleared,
        "inbound_events_deleted": deleted,
        "status_events_deleted": status_events_prune(),
        "report_keys_deleted": report_keys_prune(),
    }
