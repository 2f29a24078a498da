"""The spend rollup: what the messages of each delivery-rollup cell cost, per currency.

Fed by the same writes as `deliveries.rollups`: each message's place there (`Counted`)
carries its `Spend`, and `rollups_apply` hands every batch's changes here, so the spend of a
cell moves with its messages (−1 and −cost in the old cell, +1 and +cost in the new).
`spend_rebuild` recomputes everything from `Message` and must agree exactly.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Round, TruncHour

from deliveries import status as st
from deliveries.models import Message

from .models import SPEND_CELL_KEY, SpendRollup

SUM_COLUMNS = ("messages", "amount_micros", "segments", "segmented", "unicode", "encoded")
_SUMS = len(SUM_COLUMNS)


class Spend(NamedTuple):
    """What one message adds to its cell's spend."""

    currency: str  # "" when the cost is unknown
    micros: int
    segments: int | None
    encoding: str


def spend_of(get: Callable[[str], Any]) -> Spend:
    """The spend of a message row (`get` reads its fields)."""
    cost: Decimal | None = get("cost")
    currency = get("cost_currency") or ""
    if cost is None or not currency:
        currency, micros = "", 0
    else:
        micros = int((Decimal(cost) * 1_000_000).to_integral_value())
    return Spend(currency, micros, get("segments"), get("encoding") or "")


def _sums(spend: Spend) -> list[int]:
    known_segments = spend.segments is not None
    return [
        1,
        spend.micros,
        spend.segments or 0,
        int(known_segments),
        int(spend.encoding == "ucs2"),
        int(bool(spend.encoding)),
    ]


def spend_apply(changes: Iterable[Any]) -> None:
    """Move the spend for a batch of `deliveries.rollups.MessageChange`s; call inside the
    writer's transaction, after the delivery rollups (cells are written in key order)."""
    deltas: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * _SUMS)
    for before, after in changes:
        if before == after:
            continue
        for counted, sign in ((before, -1), (after, 1)):
            if counted is None or counted.spend is None:
                continue
            # The delivery cell without its error code (the last field), plus the currency.
            delta = deltas[(*counted.cell[:-1], counted.spend.currency)]
            for i, value in enumerate(_sums(counted.spend)):
                delta[i] += sign * value
    cells = sorted(key for key, delta in deltas.items() if any(delta))
    _cells_upsert([(*key, *deltas[key]) for key in cells])


def spend_campaign_clear(*, campaign_id: int) -> None:
    """Move the spend of `campaign_id` to "no campaign", as `rollups_campaign_clear` does
    for the counts (it holds the table lock of the delivery rollups meanwhile)."""
    rows = SpendRollup.objects.filter(campaign_id=campaign_id)
    moved = [
        tuple(0 if c == "campaign_id" else row[c] for c in (*SPEND_CELL_KEY, *SUM_COLUMNS))
        for row in rows.values(*SPEND_CELL_KEY, *SUM_COLUMNS)
    ]
    rows.delete()
    _cells_upsert(sorted(moved))


def spend_rebuild() -> int:
    """Recompute the spend rollup from `Message`; returns the number of cells written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(SpendRollup._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        SpendRollup.objects.all().delete()
        rows = [
            (
                *_row_key(row),
                row["messages"],
                row["micros"] or 0,
                row["segment_sum"],
                row["segmented"],
                row["unicode"],
                row["encoded"],
            )
            for row in _cells_of_messages().iterator(chunk_size=5000)
        ]
        _cells_upsert(sorted(rows))
        return len(rows)


def _cells_of_messages() -> Any:
    """`spend_of` per cell, in SQL: the database groups, only the cells come back."""
    priced = Q(cost__isnull=False) & ~Q(cost_currency="")
    return (
        Message.objects.order_by()
        .annotate(
            bucket=TruncHour(Coalesce("submitted_at", "created_at"), tzinfo=UTC),
            cell_campaign_id=Coalesce("campaign_id", 0),
            cell_status=Case(
                When(status="", then=Value(st.Status.UNKNOWN.value)), default=F("status")
            ),
            currency=Case(When(priced, then=F("cost_currency")), default=Value("")),
        )
        .values(
            "bucket",
            "cell_campaign_id",
            "provider",
            "channel",
            "operator",
            "cell_status",
            "currency",
        )
        .annotate(
            messages=Count("*"),
            # Each message's millionths summed, as `spend_of` counts them: never a float sum.
            micros=Sum(
                Cast(Round(F("cost") * 1_000_000), output_field=BigIntegerField()), filter=priced
            ),
            segment_sum=Coalesce(Sum("segments"), 0),
            segmented=Count("segments"),
            unicode=Count("id", filter=Q(encoding="ucs2")),
            encoded=Count("id", filter=~Q(encoding="")),
        )
    )


def _row_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        row["bucket"],
        row["cell_campaign_id"],
        row["provider"],
        row["channel"],
        row["operator"],
        row["cell_status"],
        row["currency"],
    )


def _cells_upsert(rows: list[tuple[Any, ...]], *, batch: int = 500) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the deltas, in key order (no deadlocks)."""
    if not rows:
        return
    table = connection.ops.quote_name(SpendRollup._meta.db_table)
    columns = [*SPEND_CELL_KEY, *SUM_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    keys = ", ".join(connection.ops.quote_name(c) for c in SPEND_CELL_KEY)
    adds = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in SUM_COLUMNS)
    bucket = SpendRollup._meta.get_field("bucket")
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                params += [bucket.get_db_prep_value(row[0], connection), *row[1:]]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({keys}) DO UPDATE SET {adds}",
                params,
            )
