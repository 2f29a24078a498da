"""Reading the rollup cells of a slice: the cells, and their sums per key × channel × status
as rows `Figures.add` takes. Shared by `deliveries.analytics` and `deliveries.comparison`."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Q, QuerySet, Sum, Value

from . import status as st
from .latency import LATENCY_COLUMNS
from .models import DeliveryRollup
from .slices import Slice


def rollup_cells(
    *,
    slice: Slice,
) -> QuerySet[DeliveryRollup]:
    """The rollup cells of a slice (public: `deliveries.comparison` reads them too)."""
    start, end = slice.bounds()
    return DeliveryRollup.objects.filter(slice.segment(), bucket__gte=start, bucket__lt=end)


def _no_dlr_filter(now: datetime) -> Q:
    """Pending cells whose whole hour lies before the channel's validity window."""
    past_window = Q()
    for name, hours in settings.DLR_VALIDITY_HOURS.items():
        cutoff = now - timedelta(hours=hours) - timedelta(hours=1)
        past_window |= Q(channel=name, bucket__lte=cutoff)
    return past_window & Q(status__in=st.PENDING_STATUSES)


def rollup_rows(
    cells: QuerySet[DeliveryRollup], extra: list[str], *, now: datetime, latency: bool = True
) -> QuerySet[Any]:
    """The cells summed per `extra` × channel × status: `n`, `secs`, `no_dlr`, and with
    `latency` the histogram columns, as rows `Figures.add` takes.

    The histogram comes in rows of its own (`histogram_rows`), after the count rows of the
    same keys (their histogram NULL, the histogram rows' counts 0).
    """
    counts: QuerySet[Any] = count_rows(cells, extra, now=now)
    if not latency:
        return counts
    none = Value(None, output_field=BigIntegerField())
    nulls: QuerySet[Any] = counts.annotate(**dict.fromkeys(LATENCY_COLUMNS, none))
    return nulls.union(histogram_rows(cells, extra), all=True)


def count_rows(cells: QuerySet[DeliveryRollup], extra: list[str], *, now: datetime) -> Any:
    return (
        cells.values(*extra, "channel", "status")
        .annotate(
            n=Sum("messages"),
            secs=Sum("call_seconds"),
            no_dlr=Sum("messages", filter=_no_dlr_filter(now)),
        )
        .order_by()
    )


def histogram_rows(cells: QuerySet[DeliveryRollup], extra: list[str]) -> Any:
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
