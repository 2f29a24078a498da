"""Delivery rollups: message counts per cell, kept in step with the messages.

A cell is (hour bucket, campaign, provider, channel, operator, status, error code, latency
bucket); see `deliveries.models.DeliveryRollup`. Every message is counted in the one cell its
current fields describe (`cell_of`). Writers record each message's cell before and after a
change (`MessageChange`) and `rollups_apply` moves the counts: −1 in the old cell, +1 in the
new one, aggregated per batch and written with one upsert per distinct cell. Because the cell
is a pure function of the message, `rollups_rebuild` can recompute everything from `Message`
and must agree exactly with the incremental counts.
"""

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
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

from . import status as st
from .bulk import server_cursor
from .models import DeliveryRollup, Message

# Latency buckets, submit → delivered: bucket i holds latencies in [EDGES[i-1], EDGES[i])
# seconds, log-spaced by √2 from 1 s to ~36 h; bucket 0 is "under a second" and the last
# one is open-ended. Percentiles read from these are accurate to about ±20 %.
LATENCY_EDGES: tuple[float, ...] = tuple(2 ** (k / 2) for k in range(35))
# The same edges in whole microseconds. Both the incremental path (Python) and the rebuild
# (SQL) compare integer microseconds with these, so a latency lying exactly on an edge falls
# in the same bucket on both sides (float logarithms could disagree there).
_EDGE_MICROSECONDS: tuple[int, ...] = tuple(round(e * 1_000_000) for e in LATENCY_EDGES)
NO_LATENCY = -1

# The fields `cell_of` reads; selectors load exactly these.
CELL_FIELDS = (
    "submitted_at",
    "created_at",
    "campaign_id",
    "provider",
    "channel",
    "operator",
    "status",
    "error_code",
    "sent_at",
    "delivered_at",
    "call_duration",
)

_KEY_COLUMNS = (
    "bucket",
    "campaign_id",
    "provider",
    "channel",
    "operator",
    "status",
    "error_code",
    "latency_bucket",
)


# NamedTuples rather than frozen dataclasses: two are built per message a batch touches,
# and hashing, comparing and sorting them is plain tuple work.
class Cell(NamedTuple):
    bucket: datetime
    campaign_id: int
    provider: str
    channel: str
    operator: str
    status: str
    error_code: str
    latency_bucket: int


class Counted(NamedTuple):
    """Where one message is counted, and what it adds to the cell's sums."""

    cell: Cell
    call_seconds: int


class MessageChange(NamedTuple):
    """One message before and after a write; None means "not counted" (new, or deleted)."""

    before: Counted | None
    after: Counted | None


def latency_bucket(latency: float | timedelta) -> int:
    """The bucket of a latency (seconds, or a timedelta): how many edges it reaches."""
    if isinstance(latency, timedelta):
        micros = latency // timedelta(microseconds=1)
    else:
        micros = round(latency * 1_000_000)
    return bisect_right(_EDGE_MICROSECONDS, micros)


def latency_bucket_value(index: int) -> float:
    """A representative latency for a bucket: the geometric middle of its bounds."""
    if index <= 0:
        return 0.5
    low = LATENCY_EDGES[index - 1]
    high = LATENCY_EDGES[index] if index < len(LATENCY_EDGES) else low * math.sqrt(2)
    return math.sqrt(low * high)


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def counted_of(message: Message | Mapping[str, Any]) -> Counted:
    """The cell a message (a model instance or a `.values(*CELL_FIELDS)` row) is counted in."""
    get = message.get if isinstance(message, Mapping) else message.__dict__.get
    status = get("status") or st.Status.UNKNOWN.value
    bucket = hour_of(get("submitted_at") or get("created_at"))
    lat = NO_LATENCY
    start = get("submitted_at") or get("sent_at")
    if st.info(status).kind == "delivered" and start and get("delivered_at"):
        lat = latency_bucket(get("delivered_at") - start)
    cell = Cell(
        bucket=bucket,
        campaign_id=get("campaign_id") or 0,
        provider=get("provider"),
        channel=get("channel"),
        operator=get("operator") or "",
        status=status,
        error_code=get("error_code") or "",
        latency_bucket=lat,
    )
    return Counted(cell=cell, call_seconds=get("call_duration") or 0)


def is_counted(message: Message | Mapping[str, Any]) -> bool:
    """Whether the rollups already count `message`.

    A message is counted once a report has moved its status (`reports_apply`) or once the
    sending service registered it (whose writer calls `rollups_apply` for it). A row that
    `reports_apply` has only just created is neither, so it is new.
    """
    get = message.get if isinstance(message, Mapping) else message.__dict__.get
    return get("status_changed_at") is not None or get("registered_at") is not None


def rollups_apply(changes: Iterable[MessageChange]) -> None:
    """Move the counts for a batch of message changes; call inside the writer's transaction.

    Deltas are summed per cell first, so a batch that moves a thousand messages from `sent`
    to `delivered` in the same hour writes two rows, not two thousand updates.
    """
    deltas: dict[Cell, list[int]] = defaultdict(lambda: [0, 0])
    for change in changes:
        if change.before == change.after:
            continue
        if change.before is not None:
            delta = deltas[change.before.cell]
            delta[0] -= 1
            delta[1] -= change.before.call_seconds
        if change.after is not None:
            delta = deltas[change.after.cell]
            delta[0] += 1
            delta[1] += change.after.call_seconds
    _cells_upsert({cell: d for cell, d in deltas.items() if d != [0, 0]})


def rollups_rebuild() -> int:
    """Recompute every rollup from `Message`; returns the number of cells written.

    One set-based `INSERT … SELECT … GROUP BY` computing `counted_of` in SQL: the database
    reads the messages once and nothing crosses the wire but the cells (10 M messages in
    well under a minute on PostgreSQL, where a Python loop over the rows took minutes).
    """
    with transaction.atomic():
        # Counting happens under the table lock so no apply slips between read and write.
        _rollups_lock()
        if connection.vendor == "postgresql":
            # The hash of cells must fit in memory: with the default 4 MB it spilled to disk
            # (341 k cells at 10 M messages) and the rebuild took 310 s instead of ~10× 1 M's.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
        DeliveryRollup.objects.all().delete()
        select, params = _cells_of_messages().query.sql_with_params()
        table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
        columns = ", ".join(
            connection.ops.quote_name(c) for c in (*_KEY_COLUMNS, "messages", "call_seconds")
        )
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
            return cursor.rowcount


def _cells_of_messages() -> Any:
    """`counted_of` as a query: one row per cell, its columns in `_KEY_COLUMNS` order."""
    delivered = Q(status__in=st.DELIVERED_STATUSES, delivered_at__isnull=False) & (
        Q(submitted_at__isnull=False) | Q(sent_at__isnull=False)
    )
    latency = ExpressionWrapper(
        F("delivered_at") - Coalesce("submitted_at", "sent_at"), output_field=DurationField()
    )
    return (
        Message.objects.order_by()
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
        )
        .values(
            "cell_bucket",
            "cell_campaign_id",
            "provider",
            "channel",
            "operator",
            "cell_status",
            "error_code",
            "cell_latency_bucket",
        )
        .annotate(n=Count("*"), secs=Coalesce(Sum("call_duration"), 0))
    )


class _LatencyBucket(Func):
    """`latency_bucket()` in SQL, over a duration: how many microsecond edges it reaches."""

    output_field = SmallIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # Generic (SQLite): durations are integer microseconds; largest edge first.
        sql, params = compiler.compile(self.source_expressions[0])
        whens = " ".join(
            f"WHEN {sql} >= {edge} THEN {i + 1}"
            for i, edge in reversed(list(enumerate(_EDGE_MICROSECONDS)))
        )
        return f"CASE {whens} ELSE 0 END", list(params) * len(_EDGE_MICROSECONDS)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        edges = ", ".join(str(e) for e in _EDGE_MICROSECONDS)
        micros = f"(EXTRACT(EPOCH FROM {sql}) * 1000000)::bigint"
        return f"width_bucket({micros}, ARRAY[{edges}]::bigint[])", list(params)


def _rollups_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _cells_upsert(deltas: Mapping[Cell, list[int]], *, batch: int = 500) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the deltas (SQLite ≥ 3.24 and PostgreSQL).

    Django's bulk_create(update_conflicts=True) can only overwrite columns, not add to
    them, hence the raw SQL. Cells are written in key order so concurrent batches lock
    rollup rows in the same order and cannot deadlock.
    """
    if not deltas:
        return
    table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
    columns = [*_KEY_COLUMNS, "messages", "call_seconds"]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    keys = ", ".join(connection.ops.quote_name(c) for c in _KEY_COLUMNS)
    bucket_field = DeliveryRollup._meta.get_field("bucket")
    cells = sorted(deltas)
    conflict = (
        f"ON CONFLICT ({keys}) DO UPDATE SET "
        f"messages = {table}.messages + EXCLUDED.messages, "
        f"call_seconds = {table}.call_seconds + EXCLUDED.call_seconds"
    )
    if connection.vendor == "postgresql":
        # One array per column, bound server-side: a VALUES list of ~5,000 parameters cost
        # more to quote in Python (psycopg's client-side binding) than to run.
        types = [DeliveryRollup._meta.get_field(c).db_type(connection) for c in columns]
        arrays = [list(column) for column in zip(*cells, strict=True)]
        arrays += [[deltas[cell][0] for cell in cells], [deltas[cell][1] for cell in cells]]
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        unnest = ", ".join(f"%s::{t}[]" for t in types)
        with server_cursor(connection) as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT {names} FROM unnest({unnest}) "  # noqa: S608
                f"WITH ORDINALITY AS v({names}, i) ORDER BY v.i {conflict}",
                arrays,
            )
        return
    with connection.cursor() as cursor:
        for start in range(0, len(cells), batch):
            chunk = cells[start : start + batch]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params: list[Any] = []
            for cell in chunk:
                params += [
                    # The same adaptation the ORM applies, so the unique index matches.
                    bucket_field.get_db_prep_value(cell.bucket, connection),
                    *cell[1:],
                    *deltas[cell],
                ]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {placeholders} {conflict}",  # noqa: S608
                params,
            )
