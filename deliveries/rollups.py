"""Delivery rollups: message counts per cell, kept in step with the messages.

A cell is (hour bucket, campaign, provider, channel, operator, status, error code) with a
latency histogram in columns; see `deliveries.models.DeliveryRollup`. Every message is counted
in the one cell its current fields describe, and in that cell's latency column when it was
delivered with a known latency (`counted_of`). Writers record each message's place before and
after a change (`MessageChange`) and `rollups_apply` moves the counts: −1 in the old cell (and
its latency column), +1 in the new one, aggregated per batch and written with one upsert per
distinct cell. Because the place is a pure function of the message, `rollups_rebuild` can
recompute everything from `Message` and must agree exactly with the incremental counts.
Conversions ride along: a converted message also counts in its cell's `converted` and in
one column of the cell's time-to-convert histogram (`deliveries.conversion_histogram`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection

from billing.spend import Spend, spend_apply, spend_campaign_clear, spend_of

from . import status as st
from .bulk import column_field, server_cursor
from .conversion_histogram import CONVERSION_COLUMNS
from .latency import (
    LATENCY_COLUMNS,
    LATENCY_EDGES,
    NO_LATENCY,
    latency_bucket,
    latency_bucket_value,
)
from .models import ROLLUP_CELL_KEY, DeliveryRollup, DeliveryRollupDaily, Message

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
    "converted_at",
    # What `billing.spend.spend_of` reads.
    "cost",
    "cost_currency",
    "segments",
    "encoding",
)

# A cell's histogram columns: latency, then time to convert (index len(LATENCY_COLUMNS) + b
# for conversion bucket b), so one sparse (cell, column) map carries both.
_HISTOGRAM_COLUMNS = (*LATENCY_COLUMNS, *CONVERSION_COLUMNS)
_CONVERSION_OFFSET = len(LATENCY_COLUMNS)
# What a cell sums: the counters (`_COUNTERS` of them), then the histograms.
_COUNT_COLUMNS = ("messages", "call_seconds", "converted")
_COUNTERS = len(_COUNT_COLUMNS)
_SUM_COLUMNS = (*_COUNT_COLUMNS, *_HISTOGRAM_COLUMNS)
_TIERS: tuple[type[DeliveryRollup | DeliveryRollupDaily], ...] = (
    DeliveryRollup,
    DeliveryRollupDaily,
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


class Counted(NamedTuple):
    """Where one message is counted, and what it adds to the cell's sums."""

    cell: Cell
    call_seconds: int
    # Its latency bucket (a column of the cell's histogram), or NO_LATENCY.
    latency: int = NO_LATENCY
    # Its time-to-convert bucket when it converted, else NO_LATENCY.
    conversion: int = NO_LATENCY
    # What it cost, for the spend rollup kept beside this one (`billing.spend`).
    spend: Spend | None = None


class MessageChange(NamedTuple):
    """One message before and after a write; None means "not counted" (new, or deleted)."""

    before: Counted | None
    after: Counted | None


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def counted_of(message: Message | Mapping[str, Any]) -> Counted:
    """The cell a message (a model instance or a `.values(*CELL_FIELDS)` row) is counted in."""
    get: Callable[[str], Any] = (
        message.get if isinstance(message, Mapping) else message.__dict__.get
    )
    status = get("status") or st.Status.UNKNOWN.value
    bucket = hour_of(get("submitted_at") or get("created_at"))
    lat = NO_LATENCY
    start = get("submitted_at") or get("sent_at")
    if st.info(status).kind == "delivered" and start and get("delivered_at"):
        lat = latency_bucket(get("delivered_at") - start)
    conversion = NO_LATENCY
    if converted_at := get("converted_at"):
        since = get("submitted_at") or get("sent_at") or get("created_at") or converted_at
        conversion = latency_bucket(max(converted_at - since, timedelta(0)))
    cell = Cell(
        bucket=bucket,
        campaign_id=get("campaign_id") or 0,
        provider=get("provider"),
        channel=get("channel"),
        operator=get("operator") or "",
        status=status,
        error_code=get("error_code") or "",
    )
    return Counted(
        cell=cell,
        call_seconds=get("call_duration") or 0,
        latency=lat,
        conversion=conversion,
        spend=spend_of(get),
    )


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
    to `delivered` in the same hour writes two rows, not two thousand updates. Latency
    deltas are kept apart, per (cell, bucket), because few cells have any.
    """
    changes = list(changes)  # read twice: here and by spend_apply
    counts: dict[Cell, list[int]] = defaultdict(lambda: [0] * _COUNTERS)
    latencies: dict[tuple[Cell, int], int] = defaultdict(int)
    for change in changes:
        before, after = change
        if before == after:
            continue
        for counted, sign in ((before, -1), (after, 1)):
            if counted is None:
                continue
            delta = counts[counted.cell]
            delta[0] += sign
            delta[1] += sign * counted.call_seconds
            if counted.latency != NO_LATENCY:
                latencies[counted.cell, counted.latency] += sign
            if counted.conversion != NO_LATENCY:
                delta[2] += sign
                latencies[counted.cell, _CONVERSION_OFFSET + counted.conversion] += sign
    # A message moving between latency buckets of one cell leaves its counts at 0.
    histograms: dict[Cell, dict[int, int]] = defaultdict(dict)
    for (cell, bucket), n in latencies.items():
        if n:
            histograms[cell][bucket] = n
    cells = sorted({cell for cell, d in counts.items() if any(d)} | set(histograms))
    _cells_upsert(cells, counts, histograms)
    # The daily tier, after every hourly row (so batches lock hourly rows, then daily ones:
    # one order for all of them).
    _cells_upsert(*_days_of(cells, counts, histograms), model=DeliveryRollupDaily)
    spend_apply(changes)


def _days_of(
    cells: list[Cell],
    counts: Mapping[Cell, list[int]],
    histograms: Mapping[Cell, Mapping[int, int]],
) -> tuple[list[Cell], dict[Cell, list[int]], dict[Cell, dict[int, int]]]:
    """The same deltas summed per day cell (the hour's cell at the day's midnight)."""
    day_counts: dict[Cell, list[int]] = {}
    day_histograms: dict[Cell, dict[int, int]] = defaultdict(dict)
    for cell in cells:
        day = cell._replace(bucket=cell.bucket.replace(hour=0))
        total = day_counts.setdefault(day, [0] * len(_COUNT_COLUMNS))
        for i, n in enumerate(counts.get(cell, ())):
            total[i] += n
        histogram = day_histograms[day]
        for bucket, n in histograms.get(cell, {}).items():
            histogram[bucket] = histogram.get(bucket, 0) + n
    # Moves between hours of one day cancel out: nothing to write for them.
    day_histograms = {d: {b: n for b, n in h.items() if n} for d, h in day_histograms.items()}
    days = sorted(d for d in day_counts if any(day_counts[d]) or day_histograms[d])
    return days, day_counts, day_histograms


def rollups_campaign_clear(*, campaign_id: int) -> None:
    """Move every count of `campaign_id` to "no campaign" (0), where a rebuild counts its
    messages once they are unlinked. Call after unlinking them, in the same transaction.

    The table lock (as for a rebuild) keeps appliers from writing cells meanwhile; they
    wait for the commit, which is short: only this campaign's cells move.
    """
    _rollups_lock()
    for model in _TIERS:
        rows = model.objects.filter(campaign_id=campaign_id)
        counts: dict[Cell, list[int]] = {}
        histograms: dict[Cell, dict[int, int]] = {}
        for row in rows.values(*ROLLUP_CELL_KEY, *_SUM_COLUMNS):
            cell = Cell(**{key: row[key] for key in ROLLUP_CELL_KEY})._replace(campaign_id=0)
            histogram = {i: row[c] for i, c in enumerate(_HISTOGRAM_COLUMNS) if row[c]}
            sums = [row[c] for c in _COUNT_COLUMNS]
            if any(sums) or histogram:
                counts[cell] = sums
                histograms[cell] = histogram
        rows.delete()
        _cells_upsert(sorted(counts), counts, histograms, model=model)
    spend_campaign_clear(campaign_id=campaign_id)


def _rollups_lock() -> None:
    """Both tiers, hourly first: the order appliers lock their rows in."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in _TIERS:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _cells_upsert(
    cells: list[Cell],
    counts: Mapping[Cell, list[int]],
    histograms: Mapping[Cell, Mapping[int, int]],
    *,
    model: type[DeliveryRollup | DeliveryRollupDaily] = DeliveryRollup,
    batch: int = 200,
) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the deltas (SQLite ≥ 3.24 and PostgreSQL):
    `counts` (`_COUNT_COLUMNS`) and `histograms` (column index → messages) of `cells`.

    Django's bulk_create(update_conflicts=True) can only overwrite columns, not add to
    them, hence the raw SQL. Cells are written in key order (`cells` is sorted) so
    concurrent batches lock rollup rows in the same order and cannot deadlock. A latency
    column stays NULL when empty (see `DeliveryRollup`); so does any nullable counter.
    """
    if not cells:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*ROLLUP_CELL_KEY, *_SUM_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    keys = ", ".join(connection.ops.quote_name(c) for c in ROLLUP_CELL_KEY)
    adds = [
        f"{c} = NULLIF(COALESCE({table}.{c}, 0) + COALESCE(EXCLUDED.{c}, 0), 0)"
        if column_field(model, c).null
        else f"{c} = {table}.{c} + EXCLUDED.{c}"
        for c in _SUM_COLUMNS
    ]
    conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(adds)}"
    zero = [0] * len(_COUNT_COLUMNS)
    if connection.vendor == "postgresql":
        _cells_upsert_unnest(cells, counts, histograms, model, quoted, conflict)
        return
    # On SQLite, `batch` cells of 82 columns stay well under 32,766 bound parameters.
    bucket_field = model._meta.get_field("bucket")
    with connection.cursor() as cursor:
        for start in range(0, len(cells), batch):
            chunk = cells[start : start + batch]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params: list[Any] = []
            for cell in chunk:
                histogram = histograms.get(cell, {})
                params += [
                    # The same adaptation the ORM applies, so the unique index matches.
                    bucket_field.get_db_prep_value(cell.bucket, connection),
                    *cell[1:],
                    *counts.get(cell, zero),
                    *(histogram.get(i) for i in range(len(_HISTOGRAM_COLUMNS))),
                ]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {placeholders} {conflict}",  # noqa: S608
                params,
            )


def _cells_upsert_unnest(
    cells: list[Cell],
    counts: Mapping[Cell, list[int]],
    histograms: Mapping[Cell, Mapping[int, int]],
    model: type[DeliveryRollup | DeliveryRollupDaily],
    quoted: str,
    conflict: str,
) -> None:
    """The PostgreSQL form: one array per key and count column, bound server-side (a VALUES
    list of thousands of parameters cost more to quote in Python, with psycopg's client-side
    binding, than to run), and the histograms as sparse (cell, bucket, messages) triples
    pivoted into columns in SQL: 36 dense arrays, mostly NULL, cost more in Python and in
    PostgreSQL (bench/README.md)."""
    table = connection.ops.quote_name(model._meta.db_table)
    types = [
        column_field(model, c).db_type(connection) for c in (*ROLLUP_CELL_KEY, *_COUNT_COLUMNS)
    ]
    zero = [0] * len(_COUNT_COLUMNS)
    arrays = [list(column) for column in zip(*cells, strict=True)]
    arrays += [list(column) for column in zip(*(counts.get(c, zero) for c in cells), strict=True)]
    spots: list[int] = []
    buckets: list[int] = []
    deltas: list[int] = []
    for spot, cell in enumerate(cells, start=1):
        for bucket, n in histograms.get(cell, {}).items():
            spots.append(spot)
            buckets.append(bucket)
            deltas.append(n)
    names = ", ".join(f"c{i}" for i in range(len(types)))
    unnest = ", ".join(f"%s::{t}[]" for t in types)
    # Every name interpolated is a constant of this module.
    pivot = ", ".join(
        f"SUM(n) FILTER (WHERE bucket = {i}) AS {c}" for i, c in enumerate(_HISTOGRAM_COLUMNS)
    )
    lat = ", ".join(f"h.{c}" for c in _HISTOGRAM_COLUMNS)
    with server_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {names}, {lat} "  # noqa: S608
            f"FROM unnest({unnest}) WITH ORDINALITY AS v({names}, spot) "
            f"LEFT JOIN (SELECT spot, {pivot} FROM unnest(%s::int[], %s::int[], %s::bigint[]) "
            f"AS x(spot, bucket, n) GROUP BY spot) AS h ON h.spot = v.spot "
            f"ORDER BY v.spot {conflict}",
            [*arrays, spots, buckets, deltas],
        )
