"""Rebuilding the delivery rollups from `Message`: `counted_of` as one set-based query,
so the incremental counts (`deliveries.rollups`) can be checked against it and restored."""

from datetime import UTC
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    SmallIntegerField,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncHour
from django.db.models.sql.compiler import SQLCompiler

from . import status as st
from .latency import (
    EDGE_MICROSECONDS,
    NO_LATENCY,
)
from .models import ROLLUP_CELL_KEY, DeliveryRollup, DeliveryRollupDaily, Message
from .rollups import (
    _CONVERSION_OFFSET,
    _SUM_COLUMNS,
    _rollups_lock,
)


def rollups_rebuild() -> int:
    """Recompute every rollup from `Message`; returns the number of cells written.

    One set-based `INSERT … SELECT … GROUP BY` computing `counted_of` in SQL: the database
    reads the messages once and nothing crosses the wire but the cells (10 M messages in
    well under a minute on PostgreSQL, where a Python loop over the rows took minutes).
    The messages are grouped per cell and latency bucket first, then those few rows are
    pivoted into the histogram columns: the bucket is computed once per message, not once
    per column.
    """
    with transaction.atomic():
        # Counting happens under the table lock so no apply slips between read and write.
        _rollups_lock()
        if connection.vendor == "postgresql":
            # The hash of cells must fit in memory: with the default 4 MB it spilled to disk
            # at 10 M messages and the rebuild took far longer than ten times 1 M's.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
        DeliveryRollup.objects.all().delete()
        inner, params = _cells_of_messages().query.sql_with_params()
        table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in (*ROLLUP_CELL_KEY, *_SUM_COLUMNS))
        keys = ", ".join(_CELL_ALIASES)
        # Every name interpolated is a constant of this module.
        # No ELSE: a bucket without messages sums to NULL, as the columns keep it.
        histogram = ", ".join(
            f"SUM(CASE WHEN cell_{kind}_bucket = {i} THEN n END)"
            for kind in ("latency", "conversion")
            for i in range(_CONVERSION_OFFSET)
        )
        converted = f"SUM(CASE WHEN cell_conversion_bucket <> {NO_LATENCY} THEN n ELSE 0 END)"
        select = (
            f"SELECT {keys}, SUM(n), SUM(secs), {converted}, {histogram} "  # noqa: S608
            f"FROM ({inner}) AS per_latency GROUP BY {keys}"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
            written = int(cursor.rowcount)
        _days_rebuild()
        return written


def _days_rebuild() -> None:
    """The daily tier from the hourly cells just rebuilt: their sums per UTC day."""
    DeliveryRollupDaily.objects.all().delete()
    quote = connection.ops.quote_name
    hourly = quote(DeliveryRollup._meta.db_table)
    daily = quote(DeliveryRollupDaily._meta.db_table)
    columns = [quote(c) for c in (*ROLLUP_CELL_KEY, *_SUM_COLUMNS)]
    if connection.vendor == "postgresql":
        day = "date_trunc('day', bucket, 'UTC')"
    else:
        # SQLite keeps UTC times as text, 'YYYY-MM-DD HH:MM:SS'.
        day = "substr(bucket, 1, 10) || ' 00:00:00'"
    keys = ", ".join(columns[1 : len(ROLLUP_CELL_KEY)])
    sums = ", ".join(f"SUM({c})" for c in columns[len(ROLLUP_CELL_KEY) :])
    groups = ", ".join(str(i) for i in range(1, len(ROLLUP_CELL_KEY) + 1))
    with connection.cursor() as cursor:
        # Every name interpolated is the models' own.
        cursor.execute(
            f"INSERT INTO {daily} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {day}, {keys}, {sums} FROM {hourly} GROUP BY {groups}"
        )


# `_cells_of_messages`' names for the `ROLLUP_CELL_KEY`, in that order.
_CELL_ALIASES = (
    "cell_bucket",
    "cell_campaign_id",
    "provider",
    "channel",
    "operator",
    "cell_status",
    "error_code",
)


def _cells_of_messages() -> Any:
    """`counted_of` as a query: one row per cell, latency bucket and conversion bucket, keyed
    by `_CELL_ALIASES`, `cell_latency_bucket` and `cell_conversion_bucket`, with the messages
    (`n`) and call seconds (`secs`) there."""
    delivered = Q(status__in=st.DELIVERED_STATUSES, delivered_at__isnull=False) & (
        Q(submitted_at__isnull=False) | Q(sent_at__isnull=False)
    )
    latency = ExpressionWrapper(
        F("delivered_at") - Coalesce("submitted_at", "sent_at"), output_field=DurationField()
    )
    to_convert = ExpressionWrapper(
        F("converted_at") - Coalesce("submitted_at", "sent_at", "created_at"),
        output_field=DurationField(),
    )
    return (
        # Sandbox traffic is counted nowhere (`services._counted`).
        Message.objects.filter(environment="live")
        .order_by()
        .annotate(
            cell_bucket=TruncHour(Coalesce("submitted_at", "created_at"), tzinfo=UTC),
            cell_campaign_id=Coalesce("campaign_id", 0),
            cell_status=Case(
                When(status="", then=Value(st.Status.UNKNOWN.value)), default=F("status")
            ),
            cell_latency_bucket=Case(
                When(delivered, then=_LatencyBucket(latency)),
                default=Value(NO_LATENCY),
                output_field=SmallIntegerField(),
            ),
            # Below zero lands in bucket 0, as `latency_bucket` puts it.
            cell_conversion_bucket=Case(
                When(converted_at__isnull=False, then=_LatencyBucket(to_convert)),
                default=Value(NO_LATENCY),
                output_field=SmallIntegerField(),
            ),
        )
        .values(*_CELL_ALIASES, "cell_latency_bucket", "cell_conversion_bucket")
        .annotate(n=Count("*"), secs=Coalesce(Sum("call_duration"), 0))
    )


class _LatencyBucket(Func):
    """`latency_bucket()` in SQL, over a duration: how many microsecond edges it reaches."""

    output_field = SmallIntegerField()

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, *args: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        # Generic (SQLite): durations are integer microseconds; largest edge first.
        sql, params = compiler.compile(self.source_expressions[0])
        whens = " ".join(
            f"WHEN {sql} >= {edge} THEN {i + 1}"
            for i, edge in reversed(list(enumerate(EDGE_MICROSECONDS)))
        )
        return f"CASE {whens} ELSE 0 END", tuple(params) * len(EDGE_MICROSECONDS)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        edges = ", ".join(str(e) for e in EDGE_MICROSECONDS)
        micros = f"(EXTRACT(EPOCH FROM {sql}) * 1000000)::bigint"
        return f"width_bucket({micros}, ARRAY[{edges}]::bigint[])", tuple(params)
