"""Reading the rollup cells of a slice: the cells, and their sums per key × channel × status
as rows `Figures.add` takes. Shared by `deliveries.analytics` and `deliveries.comparison`.

A slice's cells come from two tiers: its whole UTC days from the daily one
(`DeliveryRollupDaily`), the hours at either edge from the hourly one, so a quarter reads
about a twenty-fourth of the cells it would read hour by hour and still sums to exactly the
same figures. Every read here returns one row set per tier, and callers add the rows up.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from . import status as st
from .latency import LATENCY_COLUMNS
from .models import DeliveryRollup, DeliveryRollupDaily
from .rollups import hour_of
from .slices import Slice

DAY = timedelta(days=1)


def rollup_hour_cells(*, slice: Slice) -> QuerySet[DeliveryRollup]:
    """The hourly cells of a slice, whatever its length: for reads that need an hour's
    grain (conversion per hour or day)."""
    start, end = slice.bounds()
    return DeliveryRollup.objects.filter(slice.segment(), bucket__gte=start, bucket__lt=end)


def rollup_range_rows(
    *, slice: Slice, rows: Callable[[QuerySet[Any]], QuerySet[Any]]
) -> QuerySet[Any]:
    """`rows` of the slice's cells, in one query: each message once, the daily tier's whole
    UTC days and the hourly tier's edges (`rollup_cells` without its "no DLR" reads), for
    reads that need no hour's grain (conversion, trust). Rows of one key come once per
    tier: add them up."""
    tiers = rollup_cells(slice=slice, now=timezone.now())
    return _union([rows(t.cells) for t in tiers if t.counts])  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Tier:
    """Rollup cells to add up, and which of their pending messages are past their window.

    `counts=False`: the cells add their "no DLR" messages only (the hours of the days the
    daily tier counts, where a day straddles the window's start).
    """

    cells: QuerySet[Any]
    no_dlr: Q
    counts: bool = True
    # The UTC days whose whole counts these cells hold, as the daily tier's (first, last):
    # its cells and its `counts=False` hours, which `day_rows` labels by UTC day.
    days: tuple[datetime, datetime] | None = None

    def map(self, change: Callable[[QuerySet[Any]], QuerySet[Any]]) -> "Tier":
        return replace(self, cells=change(self.cells))


def rollup_cells(*, slice: Slice, now: datetime, days: bool = True) -> list[Tier]:
    """The rollup cells of a slice: the whole UTC days in the daily tier, the hours before
    and after them in the hourly one (public: `deliveries.comparison` reads them too).
    `days=False` reads hours only, for a read that splits the range into hours (local days
    are `day_rows`'s).

    "No DLR" is exact too: a day's pending messages count whole when the day's last hour is
    past the channel's window (as the hourly test, `_no_dlr_filter`, would count each of its
    hours), and for the day the window starts in, its past hours' pending cells are read
    from the hourly tier (`counts=False`): a few pending cells, not the day's hours.
    """
    segment = slice.segment()
    start = hour_of(slice.since)
    hourly = DeliveryRollup.objects.filter(segment)
    first = _day_floor(start) + (DAY if start != _day_floor(start) else timedelta(0))
    # Hours up to `until` are read (a cell covers the hour it starts), so up to its next hour.
    end = hour_of(slice.until) + (
        timedelta(hours=1) if slice.until > hour_of(slice.until) else timedelta(0)
    )
    last = _day_floor(end)
    if not days or first >= last:
        return [Tier(hourly.filter(bucket__gte=start, bucket__lt=slice.until), _no_dlr_filter(now))]
    daily = DeliveryRollupDaily.objects.filter(segment, bucket__gte=first, bucket__lt=last)
    tiers = [Tier(daily, _no_dlr_filter(now, span=DAY), days=(first, last))]
    straddling = _no_dlr_straddling(now)
    if straddling is not None:
        days_hours = hourly.filter(straddling, bucket__gte=first, bucket__lt=last)
        tiers.append(Tier(days_hours, straddling, counts=False, days=(first, last)))
    if start < first:
        tiers.append(Tier(hourly.filter(bucket__gte=start, bucket__lt=first), _no_dlr_filter(now)))
    if last < slice.until:
        tail = hourly.filter(bucket__gte=last, bucket__lt=slice.until)
        tiers.append(Tier(tail, _no_dlr_filter(now)))
    return tiers


def day_rows(
    *, slice: Slice, now: datetime, extra: list[str], zone: tzinfo | None = None
) -> list[dict[str, Any]]:
    """The slice's cells summed per `extra` × local `day` × channel × status (no latency),
    in `zone` (the current time zone by default), whatever it is: each hour counts on the
    local date it starts on, as if every hour were read, but whole UTC days are read from
    the daily tier.

    A UTC day's cells count on its own date; the few hours of it that start on another
    local date (India's from 18:30 UTC, New York's before 04:00 or 05:00) are read from the
    hourly tier and moved there: taken off the UTC date, added to the local one. "No DLR"
    moves with them exactly, since the daily tier and its `counts=False` hours count each
    hour's pending messages as the hourly test does.
    """
    zone = zone or timezone.get_current_timezone()
    tiers = rollup_cells(slice=slice, now=now)
    labelled = [_day_labelled(tier, zone) for tier in tiers]
    sums: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(row: dict[str, Any], day: date, sign: int) -> None:
        key = (*(row[c] for c in extra), day, row["channel"], row["status"])
        found = sums.setdefault(key, {"n": 0, "secs": 0, "no_dlr": 0})
        for measure in found:
            found[measure] += sign * (row[measure] or 0)

    for row in rollup_rows(labelled, [*extra, "day"], latency=False):
        add(row, row["day"], 1)
    moved = _hours_off_their_utc_date(tiers, zone)
    if moved:
        cells = DeliveryRollup.objects.filter(slice.segment(), bucket__in=moved).annotate(
            utc_day=TruncDate("bucket", tzinfo=UTC), day=TruncDate("bucket", tzinfo=zone)
        )
        hours = [Tier(cells, _no_dlr_filter(now))]
        for row in rollup_rows(hours, [*extra, "utc_day", "day"], latency=False):
            add(row, row["utc_day"], -1)
            add(row, row["day"], 1)
    columns = [*extra, "day", "channel", "status"]
    return [{**dict(zip(columns, key, strict=True)), **found} for key, found in sums.items()]


def _day_labelled(tier: Tier, zone: tzinfo) -> Tier:
    """The tier's cells with their `day`: the UTC date in whole days, the local one in hours."""
    day = TruncDate("bucket", tzinfo=UTC if tier.days is not None else zone)
    return tier.map(lambda cells: cells.annotate(day=day))


def _hours_off_their_utc_date(tiers: Sequence[Tier], zone: tzinfo) -> list[datetime]:
    """The hours of the tiers' whole UTC days that start on another date in `zone`."""
    spans = {tier.days for tier in tiers if tier.days is not None}
    moved = []
    for first, last in spans:
        hour = first
        while hour < last:
            if timezone.localdate(hour, zone) != hour.date():
                moved.append(hour)
            hour += timedelta(hours=1)
    return moved


def _day_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _union(querysets: Sequence[QuerySet[Any]]) -> Any:
    first, *rest = querysets
    return first.union(*rest, all=True) if rest else first


def _no_dlr_filter(now: datetime, *, span: timedelta = timedelta(hours=1)) -> Q:
    """Pending cells whose whole span (an hour, or a day) lies before the channel's
    validity window."""
    past_window = Q()
    for name, hours in settings.DLR_VALIDITY_HOURS.items():
        cutoff = now - timedelta(hours=hours) - span
        past_window |= Q(channel=name, bucket__lte=cutoff)
    return past_window & Q(status__in=st.PENDING_STATUSES)


def _no_dlr_straddling(now: datetime) -> Q | None:
    """Pending hourly cells past the window in the day the window starts in, which the
    daily test (`_no_dlr_filter(now, span=DAY)`) does not count."""
    hours_past = Q()
    for name, hours in settings.DLR_VALIDITY_HOURS.items():
        window = now - timedelta(hours=hours)
        day_not_counted = _day_floor(window - DAY) + DAY
        cutoff = window - timedelta(hours=1)
        if day_not_counted <= cutoff:
            hours_past |= Q(channel=name, bucket__gte=day_not_counted, bucket__lte=cutoff)
    if not hours_past:
        return None
    return hours_past & Q(status__in=st.PENDING_STATUSES)


def rollup_rows(tiers: Sequence[Tier], extra: list[str], *, latency: bool = True) -> QuerySet[Any]:
    """The cells summed per `extra` × channel × status: `n`, `secs`, `no_dlr`, and with
    `latency` the histogram columns, as rows `Figures.add` takes (several rows of one key,
    one per tier: add them up).

    The histogram comes in rows of its own (`histogram_rows`), after the count rows of the
    same keys (their histogram NULL, the histogram rows' counts 0).
    """
    counts = [_count_rows(tier, extra) for tier in tiers]
    if not latency:
        return _union(counts)  # type: ignore[no-any-return]
    # Typed: PostgreSQL types a chain of UNIONs pair by pair, and two bare NULLs make text.
    none = Cast(Value(None), output_field=BigIntegerField())
    nulls = [rows.annotate(**dict.fromkeys(LATENCY_COLUMNS, none)) for rows in counts]
    histograms = [_histogram_rows(tier.cells, extra) for tier in tiers if tier.counts]
    return _union([*nulls, *histograms])  # type: ignore[no-any-return]


def count_rows(tiers: Sequence[Tier], extra: list[str]) -> Any:
    return _union([_count_rows(tier, extra) for tier in tiers])


def histogram_rows(tiers: Sequence[Tier], extra: list[str]) -> Any:
    return _union([_histogram_rows(tier.cells, extra) for tier in tiers if tier.counts])


def _count_rows(tier: Tier, extra: list[str]) -> Any:
    zero = Value(0, output_field=BigIntegerField())
    no_dlr = Sum("messages", filter=tier.no_dlr)
    sums: dict[str, Sum | Value]
    if tier.counts:
        sums = {"n": Sum("messages"), "secs": Sum("call_seconds"), "no_dlr": no_dlr}
    else:
        sums = {"n": zero, "secs": zero, "no_dlr": no_dlr}
    return tier.cells.values(*extra, "channel", "status").annotate(**sums).order_by()


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
