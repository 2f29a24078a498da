"""Retention of the webhook log: raw bodies go first, then whole rows (or partitions)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from dlrdash import partitions

from .models import InboundEvent


def inbox_prune(
    *, now: datetime | None = None, batch_size: int = 5000
) -> tuple[int, int, list[str]]:
    """Retention: drop raw bodies and query strings (a GET report's fields, numbers
    included) after RETENTION_RAW_BODY_DAYS and log rows after
    RETENTION_INBOUND_EVENT_DAYS. Pending events are never touched.

    On PostgreSQL whole months past the window are dropped as partitions, except a month
    that still holds a pending event; the rest is deleted in batches so no statement holds
    locks for long. Idempotent. Returns (bodies cleared, events deleted, partitions dropped).
    """
    now = now or timezone.now()
    body_cutoff = now - timedelta(days=settings.RETENTION_RAW_BODY_DAYS)
    event_cutoff = now - timedelta(days=settings.RETENTION_INBOUND_EVENT_DAYS)
    dropped = partitions.partitions_drop(
        InboundEvent._meta.db_table,
        before=event_cutoff,
        keep_if=f"state = '{InboundEvent.State.PENDING.value}'",
    )
    done = ~Q(state=InboundEvent.State.PENDING)
    cleared = _in_batches(
        InboundEvent.objects.filter(done, received_at__lt=body_cutoff).exclude(
            body=b"", query_string=""
        ),
        lambda ids: InboundEvent.objects.filter(pk__in=ids).update(body=b"", query_string=""),
        batch_size,
    )
    deleted = _in_batches(
        InboundEvent.objects.filter(done, received_at__lt=event_cutoff),
        lambda ids: InboundEvent.objects.filter(pk__in=ids).delete()[0],
        batch_size,
    )
    return cleared, deleted, dropped


def _in_batches(
    queryset: QuerySet[InboundEvent], action: Callable[[list[int]], int], size: int
) -> int:
    total = 0
    while ids := list(queryset.values_list("pk", flat=True)[:size]):
        total += action(ids)
        if len(ids) < size:
            break
    return total
