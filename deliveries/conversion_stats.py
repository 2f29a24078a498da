"""Conversion figures from the rollups: how many messages converted, and how fast.

Only traffic with conversion feedback counts: the campaigns (messages without a campaign
count as one) that reported at least one conversion in the range. Other traffic would read
as "never converted" when it was simply never reported on, so it is left out of every
figure here — the pages say so.

- conversion rate: converted ÷ sent, over that traffic;
- delivered never converted: the share of messages reported delivered that no conversion
  followed (what `deliveries.trust` compares between routes);
- time to convert: submission → conversion, percentiles from the cells' histogram
  (`deliveries.conversion_histogram`: the latency buckets, the latency percentiles).

Two queries whatever the breakdowns (one where nothing converted): the counts per campaign ×
provider × operator × channel × hour × status of the tracked traffic, and their histograms
where something converted; every breakdown is folded from those rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from . import status as st
from .conversion_histogram import CONVERSION_COLUMNS
from .figures import Figures
from .models import Campaign, DeliveryRollup
from .reports import CHANNEL_CHOICES
from .rollup_reads import rollup_cells
from .slices import Slice

# group_by value → rollup column (hour and day are the cell's bucket).
DIMENSIONS: dict[str, str] = {
    "campaign": "campaign_id",
    "provider": "provider",
    "operator": "operator",
    "channel": "channel",
}
TIME_GROUPS = ("hour", "day")
_KEYS = ("campaign_id", "provider", "operator", "channel", "bucket")


@dataclass
class ConversionFigures:
    sent: int = 0
    delivered: int = 0
    converted: int = 0
    delivered_converted: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.sent if self.sent else None

    @property
    def delivered_conversion_rate(self) -> float | None:
        return self.delivered_converted / self.delivered if self.delivered else None

    @property
    def delivered_never_converted(self) -> float | None:
        rate = self.delivered_conversion_rate
        return None if rate is None else 1 - rate

    def percentile(self, q: float) -> float | None:
        # The latency histogram's buckets, so the latency percentile reads it.
        return Figures(latency_histogram=self.histogram).latency_percentile(q)

    @property
    def time_to_convert_p50(self) -> float | None:
        return self.percentile(0.5)

    @property
    def time_to_convert_p90(self) -> float | None:
        return self.percentile(0.9)


@dataclass
class ConversionGroup:
    key: str
    label: str
    figures: ConversionFigures


@dataclass
class ConversionStats:
    since: datetime
    until: datetime
    tracked_campaigns: int  # campaigns (no campaign counts as one) with feedback in range
    totals: ConversionFigures
    groups: dict[str, list[ConversionGroup]]


def tracked_cells(*, slice: Slice) -> QuerySet[DeliveryRollup]:
    """The slice's cells in campaigns with conversion feedback in the range."""
    cells = rollup_cells(slice=slice)
    tracked = cells.filter(converted__gt=0).order_by().values("campaign_id").distinct()
    return cells.filter(campaign_id__in=tracked)


def conversion_stats(*, slice: Slice, group_bys: Iterable[str] = ()) -> ConversionStats:
    """Totals over the slice's tracked traffic and one list of groups per `group_bys`
    (campaign, provider, operator, channel, hour, day), largest first or in time order."""
    group_bys = list(group_bys)
    for name in group_bys:
        if name not in DIMENSIONS and name not in TIME_GROUPS:
            raise ValueError(f"unknown breakdown {name}")
    cells = tracked_cells(slice=slice)
    totals = ConversionFigures()
    by: dict[str, dict[Any, ConversionFigures]] = {name: {} for name in group_bys}
    campaigns: set[int] = set()

    def targets(row: Mapping[str, Any]) -> list[ConversionFigures]:
        found = [totals]
        for name in group_bys:
            found.append(by[name].setdefault(_key(name, row), ConversionFigures()))
        return found

    counts = cells.values(*_KEYS, "status").annotate(n=Sum("messages"), c=Sum("converted"))
    for row in counts.order_by():
        campaigns.add(row["campaign_id"])
        delivered = st.info(row["status"]).kind == "delivered"
        for figures in targets(row):
            figures.sent += row["n"] or 0
            figures.converted += row["c"] or 0
            if delivered:
                figures.delivered += row["n"] or 0
                figures.delivered_converted += row["c"] or 0
    sums = {c: Sum(c) for c in CONVERSION_COLUMNS}
    histograms = cells.filter(converted__gt=0).values(*_KEYS).annotate(**sums).order_by()
    for row in histograms if totals.converted else []:
        for figures in targets(row):
            for bucket, column in enumerate(CONVERSION_COLUMNS):
                if row[column]:
                    figures.histogram[bucket] = figures.histogram.get(bucket, 0) + row[column]
    groups = {name: _groups(name, found) for name, found in by.items()}
    return ConversionStats(slice.since, slice.until, len(campaigns), totals, groups)


def _key(name: str, row: Mapping[str, Any]) -> Any:
    if name == "hour":
        return row["bucket"]
    if name == "day":
        return timezone.localdate(row["bucket"])  # the day as the dashboard's series has it
    return row[DIMENSIONS[name]]


def _groups(name: str, found: dict[Any, ConversionFigures]) -> list[ConversionGroup]:
    if name in TIME_GROUPS:
        fmt = "%d %b %H:00" if name == "hour" else "%d %b"
        return [
            ConversionGroup(k.isoformat(), k.strftime(fmt), f) for k, f in sorted(found.items())
        ]
    if name == "campaign":
        names = dict(Campaign.objects.filter(pk__in=found).values_list("pk", "name"))
        labels = {k: names.get(k, "(no campaign)") for k in found}
    elif name == "channel":
        labels = {k: dict(CHANNEL_CHOICES).get(k, k) for k in found}
    else:
        labels = {k: str(k) or "(unknown)" for k in found}
    groups = [ConversionGroup(str(k), labels[k], f) for k, f in found.items()]
    groups.sort(key=lambda g: (-g.figures.sent, g.label))
    return groups
