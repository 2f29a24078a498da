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

At most four queries whatever the breakdowns (one where nothing converted): the counts per
campaign × provider × operator × channel × status, their histograms where something
converted, and the same two per hour for hour and day groups.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from . import status as st
from .conversion_histogram import CONVERSION_COLUMNS
from .figures import Figures
from .models import Campaign
from .reports import CHANNEL_CHOICES
from .rollup_reads import rollup_hour_cells, rollup_range_rows
from .slices import Slice

# group_by value → rollup column (hour and day are the cell's bucket).
DIMENSIONS: dict[str, str] = {
    "campaign": "campaign_id",
    "provider": "provider",
    "operator": "operator",
    "channel": "channel",
}
TIME_GROUPS = ("hour", "day")
_SEGMENT = ("campaign_id", "provider", "operator", "channel")
_N, _C = Sum("messages"), Sum("converted")


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


def tracked_campaigns(*, slice: Slice) -> list[int]:
    """The campaigns (0: no campaign) with conversion feedback in the slice's range."""
    campaigns = rollup_range_rows(
        slice=slice,
        rows=lambda cells: cells.filter(converted__gt=0).values_list("campaign_id").order_by(),
    )
    return sorted({campaign for (campaign,) in campaigns})


def conversion_stats(*, slice: Slice, group_bys: Iterable[str] = ()) -> ConversionStats:
    """Totals over the slice's tracked traffic and one list of groups per `group_bys`
    (campaign, provider, operator, channel, hour, day), largest first or in time order.

    The cells are summed in the database first (a few thousand rows however long the
    range; whole days from the daily tier), and the tracked campaigns read off that;
    grouping every cell by all its keys instead cost several times the dashboard's own
    read. Hour and day groups read the tracked hourly cells again, summed per hour.
    """
    group_bys = list(group_bys)
    for name in group_bys:
        if name not in DIMENSIONS and name not in TIME_GROUPS:
            raise ValueError(f"unknown breakdown {name}")
    dimensions = [n for n in group_bys if n in DIMENSIONS]
    times = [n for n in group_bys if n in TIME_GROUPS]
    totals = ConversionFigures()
    by: dict[str, dict[Any, ConversionFigures]] = {name: {} for name in group_bys}

    def targets(row: Mapping[str, Any], names: list[str]) -> list[ConversionFigures]:
        found = [by[name].setdefault(_key(name, row), ConversionFigures()) for name in names]
        return found if names is times else [totals, *found]

    counts = list(
        rollup_range_rows(
            slice=slice,
            rows=lambda cells: cells.values(*_SEGMENT, "status").annotate(n=_N, c=_C).order_by(),
        )
    )
    tracked = sorted({row["campaign_id"] for row in counts if row["c"]})
    for row in counts:
        if row["campaign_id"] in tracked:
            _count(row, targets(row, dimensions))
    sums = {c: Sum(c) for c in CONVERSION_COLUMNS}
    if totals.converted:
        # Only tracked campaigns have converted cells: no campaign filter needed.
        histograms = rollup_range_rows(
            slice=slice,
            rows=lambda cells: (
                cells.filter(converted__gt=0).values(*_SEGMENT).annotate(**sums).order_by()
            ),
        )
        for row in histograms:
            _histogram(row, targets(row, dimensions))
    if times and tracked:
        timed = rollup_hour_cells(slice=slice).filter(campaign_id__in=tracked)
        for row in timed.values("bucket", "status").annotate(n=_N, c=_C).order_by():
            _count(row, targets(row, times))
        for row in timed.filter(converted__gt=0).values("bucket").annotate(**sums).order_by():
            _histogram(row, targets(row, times))
    groups = {name: _groups(name, found) for name, found in by.items()}
    return ConversionStats(slice.since, slice.until, len(tracked), totals, groups)


def _count(row: Mapping[str, Any], targets: list[ConversionFigures]) -> None:
    delivered = st.info(row["status"]).kind == "delivered"
    for figures in targets:
        figures.sent += row["n"] or 0
        figures.converted += row["c"] or 0
        if delivered:
            figures.delivered += row["n"] or 0
            figures.delivered_converted += row["c"] or 0


def _histogram(row: Mapping[str, Any], targets: list[ConversionFigures]) -> None:
    for bucket, column in enumerate(CONVERSION_COLUMNS):
        if row[column]:
            for figures in targets:
                figures.histogram[bucket] = figures.histogram.get(bucket, 0) + row[column]


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
