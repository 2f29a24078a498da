"""Reading the rollup cells of a slice: the cells, and their sums per key × channel × status
as rows `Figures.add` takes. Shared by `deliveries.analytics` and `deliveries.comparison`.

A slice's cells come from two tiers: its whole UTC days from the daily one
(`DeliveryRollupDaily`), the hours at either edge from the hourly one, so a quarter reads
about a twenty-fourth of the cells it would read hour by hour and still sums to exactly the
same figures. Every read here returns one row set per tier, and callers add the rows up.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone

from . import status as st
from .latency import LATENCY_COLUMNS
from .models import DeliveryRollup, DeliveryRollupDaily
from .rollups import hour_of
from .slices import Slice

DAY = timedelta(days=1)


def rollup_cells(*, slice: Slice, now: datetime, days: bool = True) -> list[QuerySet[Any]]:
    """The rollup cells of a slice, one queryset per tier and span: the whole days in the
    daily tier, the hours before and after them in the hourly one (public:
    `deliveries.comparison` reads them too). `days=False` reads hours only, for a read that
    splits the range into hours.

    Days are taken only where the hourly cells' "no DLR" test (`_no_dlr_filter`) is true
    or false for the whole day in every channel, i.e. days over before the longest validity
    window began: a day's pending messages are then all past it, and the daily cells give
    exactly the hourly figures. Local days group daily cells only in UTC (`days_are_local`).
    """
    segment = slice.segment()
    start = hour_of(slice.since)
    hourly = DeliveryRollup.objects.filter(segment)
    first = _day_floor(start) + (DAY if start != _day_floor(start) else timedelta(0))
    longest = max(settings.DLR_VALIDITY_HOURS.values(), default=0)
    # Hours up to `until` are read (a cell covers the hour it starts), so up to its next hour.
    end = hour_of(slice.until) + (
        timedelta(hours=1) if slice.until > hour_of(slice.until) else timedelta(0)
    )
    last = _day_floor(min(end, now - timedelta(hours=longest)))
    if not days or first >= last:
        return [hourly.filter(bucket__gte=start, bucket__lt=slice.until)]
    tiers: list[QuerySet[Any]] = [
        DeliveryRollupDaily.objects.filter(segment, bucket__gte=first, bucket__lt=last)
    ]
    if start < first:
        tiers.append(hourly.filter(bucket__gte=start, bucket__lt=first))
    if last < slice.until:
        tiers.append(hourly.filter(bucket__gte=last, bucket__lt=slice.until))
    return tiers


def days_are_local() -> bool:
    """Whether the current time zone's days are UTC days, so daily cells group by local day."""
    return timezone.get_current_timezone_name() in ("UTC", "Etc/UTC")


def _day_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _union(querysets: Sequence[QuerySet[Any]]) -> Any:
    first, *rest = querysets
    return first.union(*rest, all=True) if rest else first


def _no_dlr_filter(now: datetime) -> Q:
    """Pending cells whose whole hour lies before the channel's validity window."""
    past_window = Q()
    for name, hours in settings.DLR_VALIDITY_HOURS.items():
        cutoff = now - timedelta(hours=hours) - timedelta(hours=1)
        past_window |= Q(channel=name, bucket__lte=cutoff)
    return past_window & Q(status__in=st.PENDING_STATUSES)


def rollup_rows(
    cells: Sequence[QuerySet[Any]], extra: list[str], *, now: datetime, latency: bool = True
) -> QuerySet[Any]:
    """The cells summed per `extra` × channel × status: `n`, `secs`, `no_dlr`, and with
    `latency` the histogram columns, as rows `Figures.add` takes (several rows of one key,
    one per tier: add them up).

    The histogram comes in rows of its own (`histogram_rows`), after the count rows of the
    same keys (their histogram NULL, the histogram rows' counts 0).
    """
    counts = [_count_rows(tier, extra, now=now) for tier in cells]
    if not latency:
        return _union(counts)  # type: ignore[no-any-return]
    # Typed: PostgreSQL types a chain of UNIONs pair by pair, and two bare NULLs make text.
    none = Cast(Value(None), output_field=BigIntegerField())
    nulls = [rows.annotate(**dict.fromkeys(LATENCY_COLUMNS, none)) for rows in counts]
    return _union([*nulls, *(_histogram_rows(tier, extra) for tier in cells)])  # type: ignore[no-any-return]


def count_rows(cells: Sequence[QuerySet[Any]], extra: list[str], *, now: datetime) -> Any:
    return _union([_count_rows(tier, extra, now=now) for tier in cells])


def histogram_rows(cells: Sequence[QuerySet[Any]], extra: list[str]) -> Any:
    return _union([_histogram_rows(tier, extra) for tier in cells])


def _count_rows(cells: QuerySet[Any], extra: list[str], *, now: datetime) -> Any:
    return (
        cells.values(*extra, "channel", "status")
        .annotate(
            n=Sum("messages"),
            secs=Sum("call_seconds"),
            no_dlr=Sum("messages", filter=_no_dlr_filter(now)),
        )
        .order_by()
    )


def _histogram_rows(cells: QuerySet[Any], extra: list[str]) -> Any:
    """The histogram columns summed over delivered cells only, the only ones with a latency.

    Summing the 36 columns over every cell instead, NULLs and all, cost more than this
    second pass over the delivered ones, a small share of the cells (bench/README.md).
    """
    zero = Value(0, output_field=BigIntegerField())
    return (
        cells.filter(status__in=st.DELIVERED_STATUSES)
        .values(*extra, "channel", "status")
        .annotate(n=zero, secs=zero, no_dlr=zero, **{c: Sum(c) for c in LATENCY_COLUMNS})
        .order_by()
    )


def rollup_providers_operators(*, since: datetime) -> list[tuple[str, str]]:
    """The (provider, operator) pairs with cells since `since`, sorted: the filter choices.

    On PostgreSQL a skip scan of the `rollup_provider_operator` index: one probe for the next
    pair and one for a cell of it since `since`, so it costs two probes per pair however many
    cells the range holds (a DISTINCT over 90 days of cells read them all, and grew with
    every day kept).
    """
    if connection.vendor != "postgresql":
        cells = DeliveryRollup.objects.filter(bucket__gte=since).order_by()
        return sorted(cells.values_list("provider", "operator").distinct())
    table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
    sql = f"""
        WITH RECURSIVE pairs AS (
            (SELECT provider, operator FROM {table} ORDER BY provider, operator LIMIT 1)
            UNION ALL
            SELECT next.provider, next.operator FROM pairs, LATERAL (
                SELECT provider, operator FROM {table}
                WHERE (provider, operator) > (pairs.provider, pairs.operator)
                ORDER BY provider, operator LIMIT 1
            ) AS next
        )
        SELECT provider, operator FROM pairs WHERE EXISTS (
            SELECT 1 FROM {table} AS cell WHERE cell.provider = pairs.provider
            AND cell.operator = pairs.operator AND cell.bucket >= %s
        )
    """  # noqa: S608 (the table name is the model's)
    with connection.cursor() as cursor:
        cursor.execute(sql, [since])
        # Sorted here, as on SQLite: the database's collation may order case differently.
        return sorted((provider, operator) for provider, operator in cursor.fetchall())
