"""Providers side by side on the same slice, and latency SLOs: reads from the rollups only.

Routing decisions compare providers on the same operator, channel, campaign and window, so
every figure here is `deliveries.analytics` run over one slice and split by provider; the
definitions (delivery rate, DLR coverage, latency percentiles) are that module's.

Latency SLO: per channel a target `(seconds, share)` from `settings.LATENCY_SLO`. The share
of delivered messages meeting it is read from the latency histogram, whose buckets are
[2^(k/2), 2^((k+1)/2)) seconds wide (√2 apart). A bucket wholly under the target counts as
met, a bucket wholly over it as missed; the one bucket that straddles the target is the
uncertainty, so the true share lies in [`share`, `share_upper`]. With √2-spaced edges that
bucket spans at most ±19 % around the target (10 s → the [8 s, 11.3 s) bucket).
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from . import analytics
from . import status as st
from .figures import Figures, Group
from .latency import LATENCY_COLUMNS, latency_bucket_bounds
from .rollup_reads import rollup_cells
from .slices import Slice

BUCKETS = ("hour", "day")
# Ranges up to this long are compared per hour by default, longer ones per day.
HOURLY_UP_TO = timedelta(hours=48)
TOP_ERRORS = 3


@dataclass
class SloShare:
    """Delivered messages against their channel's latency target."""

    delivered: int = 0  # delivered with a known latency
    met: int = 0  # in buckets wholly within the target
    straddling: int = 0  # in the bucket that contains the target
    # Delivered messages per objective share: summed as counts, so the mean objective does
    # not depend on the order the rows came in (the daily and hourly tiers' rows interleave).
    by_objective: dict[float, int] = field(default_factory=dict)

    def add(self, *, channel: str, bucket: int, n: int) -> None:
        target = settings.LATENCY_SLO.get(channel)
        if target is None:
            return
        seconds, objective = target
        low, high = latency_bucket_bounds(bucket)
        self.delivered += n
        self.by_objective[objective] = self.by_objective.get(objective, 0) + n
        if high <= seconds:
            self.met += n
        elif low < seconds:
            self.straddling += n

    @property
    def share(self) -> float | None:
        """The share certainly meeting the target (a lower bound)."""
        return self.met / self.delivered if self.delivered else None

    @property
    def share_upper(self) -> float | None:
        """The share possibly meeting it (the straddling bucket counted as met)."""
        return (self.met + self.straddling) / self.delivered if self.delivered else None

    @property
    def objective(self) -> float | None:
        """The share the targets ask for; a volume-weighted mean when channels are mixed."""
        weight = sum(share * n for share, n in sorted(self.by_objective.items()))
        return weight / self.delivered if self.delivered else None

    @property
    def meets(self) -> bool | None:
        """True when even the lower bound meets the objective, False when even the upper
        bound misses it, None when the histogram cannot tell (or nothing was delivered)."""
        if self.share is None or self.share_upper is None or self.objective is None:
            return None
        if self.share >= self.objective:
            return True
        return False if self.share_upper < self.objective else None


@dataclass
class ErrorShare:
    provider: str
    code: str
    meaning: str
    messages: int
    share_of_failed: float | None

    @property
    def key(self) -> str:
        """As `analytics` keys the group, for its drill-down."""
        return f"{self.provider}:{self.code}"


@dataclass
class ProviderColumn:
    provider: str
    figures: Figures
    slo: SloShare
    top_errors: list[ErrorShare]
    series: list[Figures]  # one per period of the comparison, in time order


@dataclass
class OperatorSlo:
    provider: str
    operator: str
    slo: SloShare


@dataclass
class Comparison:
    since: datetime
    until: datetime
    bucket: str
    periods: list[Group] = field(default_factory=list)  # keys and labels; figures: all providers
    providers: list[ProviderColumn] = field(default_factory=list)
    slo_by_operator: list[OperatorSlo] = field(default_factory=list)


def default_bucket(*, since: datetime, until: datetime) -> str:
    return "hour" if until - since <= HOURLY_UP_TO else "day"


def providers_compare(
    *, slice: Slice, bucket: str | None = None, now: datetime | None = None
) -> Comparison:
    """Every provider with traffic in the slice, largest first: figures, SLO share, top
    errors and the per-period series. 3 queries plus 1 per provider (the series).

    The slice's provider, if any, is left out: every provider is compared."""
    slice = replace(slice, provider=None)
    since, until = slice.since, slice.until
    bucket = bucket or default_bucket(since=since, until=until)
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    now = now or timezone.now()
    by_provider = analytics.delivery_stats(slice=slice, group_by="provider", now=now)
    errors = analytics.delivery_stats(slice=slice, group_by="error_code", now=now).groups
    slo, slo_operator = _slo_shares(slice, now=now)
    comparison = Comparison(since=since, until=until, bucket=bucket)
    for group in by_provider.groups:
        series = analytics.delivery_stats(
            slice=replace(slice, provider=group.key), group_by=bucket, now=now
        ).groups
        if not comparison.periods:
            comparison.periods = series
        comparison.providers.append(
            ProviderColumn(
                provider=group.key,
                figures=group.figures,
                slo=slo.get(group.key, SloShare()),
                top_errors=_top_errors(group.key, errors, failed=group.figures.failed),
                series=[g.figures for g in series],
            )
        )
    comparison.slo_by_operator = [
        OperatorSlo(provider, operator_name, share)
        for (provider, operator_name), share in sorted(slo_operator.items())
    ]
    return comparison


def _top_errors(provider: str, errors: list[Group], *, failed: int) -> list[ErrorShare]:
    mine = [g for g in errors if g.key.partition(":")[0] == provider][:TOP_ERRORS]
    return [
        ErrorShare(
            provider=provider,
            code=g.key.partition(":")[2],
            meaning=g.label,
            messages=g.figures.sent,
            share_of_failed=g.figures.sent / failed if failed else None,
        )
        for g in mine
    ]


def _slo_shares(
    slice: Slice, *, now: datetime
) -> tuple[dict[str, SloShare], dict[tuple[str, str], SloShare]]:
    """SLO shares per provider and per (provider, operator), from one histogram query."""
    tiers = [
        cells.filter(status__in=st.DELIVERED_STATUSES)
        .values("provider", "operator", "channel")
        .annotate(**{c: Sum(c) for c in LATENCY_COLUMNS})
        .order_by()
        for cells in (tier.cells for tier in rollup_cells(slice=slice, now=now) if tier.counts)
    ]
    rows = tiers[0].union(*tiers[1:], all=True) if len(tiers) > 1 else tiers[0]
    per_provider: dict[str, SloShare] = {}
    per_operator: dict[tuple[str, str], SloShare] = {}
    for row in rows:
        shares = (
            per_provider.setdefault(row["provider"], SloShare()),
            per_operator.setdefault((row["provider"], row["operator"] or ""), SloShare()),
        )
        for bucket, column in enumerate(LATENCY_COLUMNS):
            n = row[column] or 0
            if n:
                for share in shares:
                    share.add(channel=row["channel"], bucket=bucket, n=n)
    return per_provider, per_operator
