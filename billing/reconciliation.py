"""The provider's bill against what dlrdash saw, per provider and month.

Their total is the sum of the billed rows of the month (imports that completed only); ours
is the spend rollup's for the provider's messages submitted in the month, less those
rejected before sending (which no provider bills). The lists explain
the difference: messages billed but never seen, seen but not billed, billed at an amount
that differs from ours beyond the tolerance (or in another currency), and billed although
they were rejected before sending. A report, run on demand: unlike the costs page it reads
messages and billed rows (through their unique indexes), not rollups.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Abs, Cast, Coalesce, Round

from deliveries import status as st
from deliveries.models import Message

from .models import BilledMessage, BillImport, SpendRollup
from .money import from_micros

# Amounts closer than this are the same amount (providers round their per-segment rates).
TOLERANCE = Decimal("0.0001")
LISTS: dict[str, str] = {
    "billed_not_seen": "Billed, never seen",
    "seen_not_billed": "Seen, not billed",
    "amount_differs": "Amount differs",
    "billed_rejected": "Billed although rejected before sending",
}
ROW_COLUMNS = [
    "message_id",
    "billed_at",
    "billed_amount",
    "billed_currency",
    "our_cost",
    "our_currency",
    "status",
    "line",
]
SHOWN = 50


@dataclass
class Row:
    message_id: str
    billed_at: datetime | None = None
    billed_amount: Decimal | None = None
    billed_currency: str = ""
    our_cost: Decimal | None = None
    our_currency: str = ""
    status: str = ""
    line: int | None = None

    def values(self) -> list[Any]:
        return [getattr(self, c) if getattr(self, c) is not None else "" for c in ROW_COLUMNS]


@dataclass
class Report:
    provider: str
    month: datetime
    theirs: dict[str, Decimal] = field(default_factory=dict)
    ours: dict[str, Decimal] = field(default_factory=dict)
    ours_unknown: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    shown: dict[str, list[Row]] = field(default_factory=dict)
    imports: list[BillImport] = field(default_factory=list)

    @property
    def currencies(self) -> list[tuple[str, Decimal, Decimal, Decimal]]:
        """(currency, billed, ours, billed − ours) per currency, never across currencies."""
        codes = sorted(set(self.theirs) | set(self.ours))
        zero = Decimal("0.000000")
        rows = [(c, self.theirs.get(c, zero), self.ours.get(c, zero)) for c in codes]
        return [(c, theirs, ours, theirs - ours) for c, theirs, ours in rows]


def month_range(month: datetime) -> tuple[datetime, datetime]:
    start = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def _billed(provider: str, month: datetime) -> QuerySet[BilledMessage]:
    start, end = month_range(month)
    return BilledMessage.objects.filter(
        provider=provider,
        billed_at__gte=start,
        billed_at__lt=end,
        bill_import__state=BillImport.State.COMPLETE,
    )


def _seen(provider: str, month: datetime) -> QuerySet[Message]:
    start, end = month_range(month)
    return Message.objects.annotate(at=Coalesce("submitted_at", "created_at")).filter(
        provider=provider, at__gte=start, at__lt=end
    )


def _message(billed: Any) -> QuerySet[Message]:
    return Message.objects.filter(provider=billed("provider"), message_id=billed("message_id"))


def _billed_with_ours(provider: str, month: datetime) -> QuerySet[BilledMessage]:
    ours = _message(OuterRef)
    return _billed(provider, month).annotate(
        our_cost=Subquery(ours.values("cost")[:1]),
        our_currency=Subquery(ours.values("cost_currency")[:1]),
        our_status=Subquery(ours.values("status")[:1]),
    )


def reconciliation_queries(
    *, provider: str, month: datetime, tolerance: Decimal = TOLERANCE
) -> dict[str, QuerySet[Any]]:
    billed = _billed_with_ours(provider, month)
    seen = Exists(_message(OuterRef))
    billed_for = Exists(
        BilledMessage.objects.filter(
            provider=OuterRef("provider"),
            message_id=OuterRef("message_id"),
            bill_import__state=BillImport.State.COMPLETE,
        )
    )
    return {
        "billed_not_seen": billed.filter(~seen),
        # A message rejected before sending is not billed, rightly.
        "seen_not_billed": _seen(provider, month)
        .filter(~billed_for)
        .exclude(status=st.Status.REJECTED),
        # Annotated names, not fields: given as Q objects, which the type checker leaves be.
        "amount_differs": billed.filter(Q(our_cost__isnull=False))
        .annotate(gap=Abs(F("amount") - F("our_cost")))
        .filter(~Q(our_currency=F("currency")) | Q(gap__gt=tolerance)),
        "billed_rejected": billed.filter(Q(our_status=st.Status.REJECTED), amount__gt=0),
    }


def _row(item: Any) -> Row:
    if isinstance(item, Message):
        return Row(
            message_id=item.message_id,
            our_cost=item.cost,
            our_currency=item.cost_currency,
            status=item.status,
        )
    return Row(
        message_id=item.message_id,
        billed_at=item.billed_at,
        billed_amount=item.amount,
        billed_currency=item.currency,
        our_cost=item.our_cost,
        our_currency=item.our_currency or "",
        status=item.our_status or "",
        line=item.line,
    )


def reconciliation_rows(
    *, provider: str, month: datetime, name: str, tolerance: Decimal = TOLERANCE
) -> Iterator[Row]:
    query = reconciliation_queries(provider=provider, month=month, tolerance=tolerance)[name]
    for item in query.order_by("message_id").iterator(chunk_size=2000):
        yield _row(item)


def _micros_sum(query: QuerySet[Any], column: str, by: str) -> dict[str, Decimal]:
    # Millionths summed as integers: exact on SQLite too, where a DECIMAL is a float.
    micros = Cast(Round(F(column) * 1_000_000), output_field=BigIntegerField())
    rows = query.order_by().values(by).annotate(total=Sum(micros))
    return {row[by]: from_micros(row["total"] or 0) for row in rows}


def reconciliation_report(
    *, provider: str, month: datetime, tolerance: Decimal = TOLERANCE
) -> Report:
    start, end = month_range(month)
    report = Report(provider=provider, month=start)
    report.theirs = _micros_sum(_billed(provider, month), "amount", "currency")
    # What we expect to be billed: a message rejected before sending is not.
    spend = SpendRollup.objects.filter(
        provider=provider, bucket__gte=start, bucket__lt=end
    ).exclude(status=st.Status.REJECTED)
    for row in (
        spend.order_by().values("currency").annotate(micros=Sum("amount_micros"), n=Sum("messages"))
    ):
        if row["currency"]:
            report.ours[row["currency"]] = from_micros(row["micros"] or 0)
        else:
            report.ours_unknown = row["n"] or 0
    for name, query in reconciliation_queries(
        provider=provider, month=month, tolerance=tolerance
    ).items():
        report.counts[name] = query.count()
        report.shown[name] = [_row(item) for item in query.order_by("message_id")[:SHOWN]]
    report.imports = list(
        BillImport.objects.filter(
            provider=provider, first_billed_at__lt=end, last_billed_at__gte=start
        )
    )
    return report


def months_billed() -> list[tuple[str, str]]:
    """(provider, "YYYY-MM") of every month a completed import covers, newest first."""
    found: set[tuple[str, str]] = set()
    for provider, first, last in BillImport.objects.filter(
        state=BillImport.State.COMPLETE, first_billed_at__isnull=False
    ).values_list("provider", "first_billed_at", "last_billed_at"):
        if first is None or last is None:
            continue
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            found.add((provider, f"{year:04d}-{month:02d}"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(found, key=lambda pm: (pm[1], pm[0]), reverse=True)
