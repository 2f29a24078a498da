"""Retention of the status history and the dedup keys; messages and rollups are kept."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from dlrdash import partitions

from .models import ReportKey, StatusEvent


def status_events_prune(
    *, now: datetime | None = None, batch_size: int = 5000
) -> tuple[list[str], int]:
    """Retention: drop status events older than RETENTION_STATUS_EVENT_DAYS.

    On PostgreSQL whole months past the window are dropped as partitions; the rest (the
    month the cutoff falls in, the default partition, SQLite) is deleted in batches.
    Messages keep their current status and times; rollups are kept. Deduplication does not
    depend on the history (see `report_keys_prune`). Returns (partitions dropped, rows
    deleted).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_STATUS_EVENT_DAYS)
    dropped = partitions.partitions_drop(StatusEvent._meta.db_table, before=cutoff)
    total = 0
    while ids := list(
        StatusEvent.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[:batch_size]
    ):
        total += StatusEvent.objects.filter(pk__in=ids).delete()[0]
    return dropped, total


def report_keys_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Retention: forget dedup keys older than RETENTION_REPORT_KEY_DAYS, in batches.

    The settings keep them past the providers' retry horizon and the raw bodies (which
    reprocessing needs), so no report can come back once its key is gone.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_REPORT_KEY_DAYS)
    total = 0
    while keys := list(
        ReportKey.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[:batch_size]
    ):
        total += ReportKey.objects.filter(pk__in=keys).delete()[0]
    return total
