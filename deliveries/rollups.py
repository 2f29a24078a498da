"""Delivery rollups: message counts per cell, kept in step with the messages.

A cell is (hour bucket, campaign, provider, channel, operator, status, error code) with a
latency histogram in columns; see `deliveries.models.DeliveryRollup`. Every message is counted
in the one cell its current fields describe, and in that cell's latency column when it was
delivered with a known latency (`counted_of`). Writers record each message's place before and
after a change (`MessageChange`) and `rollups_apply` moves the counts: −1 in the old cell (and
its latency column), +1 in the new one, aggregated per batch and written with one upsert per
distinct cell. Because the place is a pure function of the message, `rollups_rebuild` can
recompute everything from `Message` and must agree exactly with the incremental counts.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
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
from .latency import (
    EDGE_MICROSECONDS,
    LATENCY_COLUMNS,
    LATENCY_EDGES,
    NO_LATENCY,
    latency_bucket,
    latency_bucket_value,
)
from .models import DeliveryRollup, Message

__all__ = [
    "LATENCY_COLUMNS",
    "LATENCY_EDGES",
    "NO_LATENCY",
    "latency_bucket",
    "latency_bucket_value",
]

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
)
# What a cell sums, in delta order: messages, call seconds, then the latency histogram.
_SUM_COLUMNS = ("messages", "call_seconds", *LATENCY_COLUMNS)
_LATENCY_OFFSET = 2


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


class Counted(NamedTuple):
    """Where one message is counted, and what it adds to the cell's sums."""

    cell: Cell
    call_seconds: int
    # Its latency bucket (a column of the cell's histogram), or NO_LATENCY.
    latency: int = NO_LATENCY


class MessageChange(NamedTuple):
    """One message before and after a write; None means "not counted" (new, or deleted)."""

    before: Counted | None
    after: Counted | None


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
    )
    return Counted(cell=cell, call_seconds=get("call_duration") or 0, latency=lat)


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
    to `delivered` in the same hour writes two rows, not two thousand updates. A delta is
    one number per column of `_SUM_COLUMNS`.
    """
    width = len(_SUM_COLUMNS)
    deltas: dict[Cell, list[int]] = defaultdict(lambda: [0] * width)
    for change in changes:
        if change.before == change.after:
            continue
        for counted, sign in ((change.before, -1), (change.after, 1)):
            if counted is None:
                continue
            delta = deltas[counted.cell]
            delta[0] += sign
            delta[1] += sign * counted.call_seconds
            if counted.latency != NO_LATENCY:
                delta[_LATENCY_OFFSET + counted.latency] += sign
    _cells_upsert({cell: d for cell, d in deltas.items() if any(d)})


def _db_values(delta: list[int]) -> list[int | None]:
    """A delta as written: an empty latency column is NULL (see `DeliveryRollup`)."""
    return [*delta[:_LATENCY_OFFSET], *(n or None for n in delta[_LATENCY_OFFSET:])]


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
            # (341 k cells at 10 M messages) and the rebuild took 310 s instead of ~10× 1 M's.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
        DeliveryRollup.objects.all().delete()
        inner, params = _cells_of_messages().query.sql_with_params()
        table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in (*_KEY_COLUMNS, *_SUM_COLUMNS))
        keys = ", ".join(_CELL_ALIASES)
        # Every name interpolated is a constant of this module.
        # No ELSE: a bucket without messages sums to NULL, as the columns keep it.
        histogram = ", ".join(
            f"SUM(CASE WHEN cell_latency_bucket = {i} THEN n END)"
            for i in range(len(LATENCY_COLUMNS))
        )
        select = (
            f"SELECT {keys}, SUM(n), SUM(secs), {histogram} "  # noqa: S608
            f"FROM ({inner}) AS per_latency GROUP BY {keys}"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
            return cursor.rowcount


# `_cells_of_messages`' names for the `_KEY_COLUMNS`, in that order.
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
    """`counted_of` as a query: one row per cell and latency bucket, keyed by `_CELL_ALIASES`
    and `cell_latency_bucket`, with the messages (`n`) and call seconds (`secs`) there."""
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
        .values(*_CELL_ALIASES, "cell_latency_bucket")
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
            for i, edge in reversed(list(enumerate(EDGE_MICROSECONDS)))
        )
        return f"CASE {whens} ELSE 0 END", list(params) * len(EDGE_MICROSECONDS)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        edges = ", ".join(str(e) for e in EDGE_MICROSECONDS)
        micros = f"(EXTRACT(EPOCH FROM {sql}) * 1000000)::bigint"
        return f"width_bucket({micros}, ARRAY[{edges}]::bigint[])", list(params)


def _rollups_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _cells_upsert(deltas: Mapping[Cell, list[int]], *, batch: int = 200) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the deltas (SQLite ≥ 3.24 and PostgreSQL).

    Django's bulk_create(update_conflicts=True) can only overwrite columns, not add to
    them, hence the raw SQL. Cells are written in key order so concurrent batches lock
    rollup rows in the same order and cannot deadlock. On SQLite, `batch` cells of 45
    columns stay well under its limit of 32,766 bound parameters.
    """
    if not deltas:
        return
    table = connection.ops.quote_name(DeliveryRollup._meta.db_table)
    columns = [*_KEY_COLUMNS, *_SUM_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    keys = ", ".join(connection.ops.quote_name(c) for c in _KEY_COLUMNS)
    bucket_field = DeliveryRollup._meta.get_field("bucket")
    cells = sorted(deltas)
    adds = [f"{c} = {table}.{c} + EXCLUDED.{c}" for c in _SUM_COLUMNS[:_LATENCY_OFFSET]]
    # Latency columns are NULL when empty, both before and after the addition.
    adds += [
        f"{c} = NULLIF(COALESCE({table}.{c}, 0) + COALESCE(EXCLUDED.{c}, 0), 0)"
        for c in LATENCY_COLUMNS
    ]
    conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(adds)}"
    if connection.vendor == "postgresql":
        # One array per column, bound server-side: a VALUES list of ~5,000 parameters cost
        # more to quote in Python (psycopg's client-side binding) than to run. 45 arrays:
        # a multi-argument unnest takes up to 100.
        types = [DeliveryRollup._meta.get_field(c).db_type(connection) for c in columns]
        arrays = [list(column) for column in zip(*cells, strict=True)]
        sums = (_db_values(deltas[cell]) for cell in cells)
        arrays += [list(column) for column in zip(*sums, strict=True)]
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
                    *_db_values(deltas[cell]),
                ]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {placeholders} {conflict}",  # noqa: S608
                params,
            )
