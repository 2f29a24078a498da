"""Status strings no mapping knows: counted per endpoint as batches are applied.

An adapter maps a string it does not know onto `unknown` and keeps the string as the
report's raw status. A gateway that starts sending a new word (a new failure reason, a
renamed state) would otherwise go unnoticed until someone wonders why messages stay
`unknown`; the admin's "Unmapped statuses" lists each one with its count.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection

from deliveries.reports import DeliveryReport
from deliveries.status import Status

from .models import UnmappedStatus

# Reported as a word of its own by some providers (SMPP's UNKNOWN state): mapped, not new.
_MEANS_UNKNOWN = "unknown"
_KEY = ("endpoint_id", "provider", "raw_status")


def report_unmapped(report: DeliveryReport) -> bool:
    return (
        report.status == Status.UNKNOWN
        and bool(report.provider_status)
        and report.provider_status.casefold() != _MEANS_UNKNOWN
    )


def unmapped_statuses_count(
    *, seen: Iterable[tuple[int, int, DeliveryReport]], now: datetime
) -> int:
    """Count the unmapped statuses among `seen` (endpoint id, event id, report): one
    upsert for the batch, with a row per distinct (endpoint, provider, raw status).
    Returns the number of distinct values counted."""
    counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for endpoint_id, event_id, report in seen:
        if report_unmapped(report):
            entry = counts[(endpoint_id, report.provider, report.provider_status[:64])]
            entry[0] += 1
            entry[1] = max(entry[1], event_id)
    if counts:
        # In key order, so two batches lock shared rows in the same order (no deadlock).
        _upsert(sorted(counts.items()), now)
    return len(counts)


def unmapped_statuses_prune(*, before: datetime) -> int:
    """Retention: forget strings not seen since `before` (their example event is gone by
    then), so a gateway that once sent noise does not leave it listed for ever."""
    return UnmappedStatus.objects.filter(last_seen__lt=before).delete()[0]


def _upsert(rows: list[tuple[tuple[int, str, str], list[int]]], now: datetime) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the counts (SQLite and PostgreSQL):
    `bulk_create(update_conflicts=True)` can only overwrite a column, not add to it."""
    qn = connection.ops.quote_name
    table = qn(UnmappedStatus._meta.db_table)
    columns = [*_KEY, "count", "first_seen", "last_seen", "example_event_id"]
    when = UnmappedStatus._meta.get_field("last_seen").get_db_prep_value(now, connection)
    params: list[Any] = []
    for (endpoint_id, provider, raw_status), (count, event_id) in rows:
        params += [endpoint_id, provider, raw_status, count, when, when, event_id]
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    updates = ", ".join(
        [
            f"{qn('count')} = {table}.{qn('count')} + EXCLUDED.{qn('count')}",
            f"{qn('last_seen')} = EXCLUDED.{qn('last_seen')}",
            f"{qn('example_event_id')} = EXCLUDED.{qn('example_event_id')}",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(map(qn, columns))}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({', '.join(map(qn, _KEY))}) DO UPDATE SET {updates}",
            params,
        )
