"""Reads for the costs page, the cost cards and the API: sums of spend-rollup cells only.

Definitions (the same everywhere):
- spend: what the messages submitted in the range cost, per currency; amounts in different
  currencies are never added together, and messages whose cost is unknown are counted apart;
- cost per delivered message: the spend on delivered messages ÷ delivered messages;
- spend on undelivered messages: failed, rejected, expired, undelivered (every failed
  status) and no DLR (still pending past the channel's `DLR_VALIDITY_HOURS`);
- average segments over the messages whose segments are known; Unicode share over the
  messages whose provider said how they were encoded.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from deliveries import status as st
from deliveries.models import Campaign
from deliveries.rollups import hour_of
from deliveries.slices import Slice

from .models import SpendRollup
from .money import from_micros

BREAKDOWNS: dict[str, str] = {
    "day": "day",
    "campaign": "campaign_id",
    "provider": "provider",
    "operator": "operator",
    "channel": "channel",
}
_SUMS = ("messages", "amount_micros", "segments", "segmented", "unicode", "encoded")
# Each status's kind, looked up once per row of a fold.
_KIND = {value: st.info(value).kind for value, _ in st.CHOICES}


@dataclass
class Spend:
    """The spend of one currency over a set of cells."""

    currency: str
    messages: int = 0
    micros: int = 0
    delivered: int = 0
    delivered_micros: int = 0
    failed_micros: int = 0
    no_dlr_micros: int = 0
    segments: int = 0
    segmented: int = 0
    unicode: int = 0
    encoded: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        n, micros = row["messages"] or 0, row["amount_micros"] or 0
        self.messages += n
        self.micros += micros
        kind = _KIND.get(row["status"]) or st.info(row["status"]).kind
        if kind == "delivered":
            self.delivered += n
            self.delivered_micros += micros
        elif kind == "failed":
            self.failed_micros += micros
        elif row["no_dlr"]:
            self.no_dlr_micros += micros
        self.segments += row["segments"] or 0
        self.segmented += row["segmented"] or 0
        self.unicode += row["unicode"] or 0
        self.encoded += row["encoded"] or 0

    @property
    def amount(self) -> Decimal:
        return from_micros(self.micros)

    @property
    def undelivered_amount(self) -> Decimal:
        return from_micros(self.failed_micros + self.no_dlr_micros)

    @property
    def failed_amount(self) -> Decimal:
        return from_micros(self.failed_micros)

    @property
    def no_dlr_amount(self) -> Decimal:
        return from_micros(self.no_dlr_micros)

    @property
    def delivered_cost_per_message(self) -> Decimal | None:
        if not self.delivered:
            return None
        return from_micros(round(self.delivered_micros / self.delivered))

    @property
    def average_segments(self) -> float | None:
        return self.segments / self.segmented if self.segmented else None

    @property
    def unicode_share(self) -> float | None:
        return self.unicode / self.encoded if self.encoded else None


@dataclass
class SpendGroup:
    key: str
    label: str
    by_currency: list[Spend] = field(default_factory=list)
    unpriced: int = 0  # messages whose cost is unknown


def spend_cells(*, slice: Slice) -> QuerySet[SpendRollup]:
    return SpendRollup.objects.filter(
        slice.segment(), bucket__gte=hour_of(slice.since), bucket__lt=slice.until
    )


def _no_dlr(now: datetime) -> Q:
    """Pending cells whose whole hour lies before the channel's validity window (as the
    delivery figures count no DLR)."""
    past = Q()
    for name, hours in settings.DLR_VALIDITY_HOURS.items():
        past |= Q(channel=name, bucket__lte=now - timedelta(hours=hours + 1))
    return past & Q(status__in=st.PENDING_STATUSES)


def _rows(cells: QuerySet[SpendRollup], extra: list[str], now: datetime) -> Iterable[Any]:
    return (
        cells.annotate(
            no_dlr=Case(
                When(_no_dlr(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values(*extra, "currency", "status", "no_dlr")
        .annotate(**{name: Sum(name) for name in _SUMS})
        .order_by()
    )


def _fold(rows: Iterable[Mapping[str, Any]], key: str | None) -> dict[Any, SpendGroup]:
    groups: dict[Any, SpendGroup] = {}
    spends: dict[tuple[Any, str], Spend] = {}
    for row in rows:
        k = row[key] if key else ""
        group = groups.setdefault(k, SpendGroup(key=str(k), label=str(k)))
        if not row["currency"]:
            group.unpriced += row["messages"] or 0
            continue
        spend = spends.get((k, row["currency"]))
        if spend is None:
            spend = spends[k, row["currency"]] = Spend(currency=row["currency"])
            group.by_currency.append(spend)
        spend.add(row)
    for group in groups.values():
        group.by_currency.sort(key=lambda s: s.currency)
    return groups


def spend_totals(*, slice: Slice, now: datetime | None = None) -> SpendGroup:
    """The slice's spend, per currency, with the messages whose cost is unknown."""
    now = now or timezone.now()
    groups = _fold(_rows(spend_cells(slice=slice), [], now), None)
    return groups.get("", SpendGroup(key="", label="all"))


def spend_breakdown(*, slice: Slice, by: str, now: datetime | None = None) -> list[SpendGroup]:
    """The slice's spend per day, campaign, provider, operator or channel (`BREAKDOWNS`)."""
    return spend_overview(slice=slice, bys=[by], now=now)[1][by]


def spend_overview(
    *, slice: Slice, bys: list[str], now: datetime | None = None
) -> tuple[SpendGroup, dict[str, list[SpendGroup]]]:
    """The totals and every breakdown in `bys`, from at most two reads of the cells: one
    grouped by every dimension at once (each breakdown and the totals are folded from its
    rows), and one per day when asked for."""
    now = now or timezone.now()
    cells = spend_cells(slice=slice)
    columns = [BREAKDOWNS[by] for by in bys if by != "day"]
    rows = list(_rows(cells, columns, now))
    totals = _fold(rows, None).get("", SpendGroup(key="", label="all"))
    breakdowns: dict[str, list[SpendGroup]] = {}
    for by in bys:
        if by == "day":
            local = cells.annotate(day=TruncDate("bucket", tzinfo=timezone.get_current_timezone()))
            groups = _fold(_rows(local, ["day"], now), "day")
        else:
            groups = _fold(rows, BREAKDOWNS[by])
        breakdowns[by] = _labelled(by, groups)
    return totals, breakdowns


def _labelled(by: str, groups: dict[Any, SpendGroup]) -> list[SpendGroup]:
    ordered = sorted(groups.values(), key=lambda g: g.key)
    if by == "day":
        return ordered
    if by == "campaign":
        names = dict(Campaign.objects.values_list("pk", "name"))
        for group in ordered:
            group.label = names.get(int(group.key), "no campaign")
    else:
        for group in ordered:
            group.label = group.label or "(none)"
    # Biggest spend first (in whichever currency is largest there).
    ordered.sort(key=lambda g: -max((s.micros for s in g.by_currency), default=0))
    return ordered


def provider_costs(since: datetime, until: datetime) -> dict[str, str]:
    """Each provider's spend over a period, one text per provider ("USD 12.40 · INR 310.00"):
    the digest scorecard's cost column (`settings.DIGEST_COSTS`). Currencies stay apart."""
    groups = spend_breakdown(slice=Slice(since=since, until=until), by="provider")
    return {
        group.key: " · ".join(f"{s.currency} {s.amount:.2f}" for s in group.by_currency)
        for group in groups
        if group.by_currency
    }
