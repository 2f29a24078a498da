"""DLR trust per route: does a route's "delivered" convert like the same traffic elsewhere?

Operators and aggregators are known to fake "delivered" receipts on some routes. A faked
receipt never converts, so for each provider × operator × channel we compare the share of
its delivered messages that converted with the same operator and channel through the other
providers in the same window (traffic with conversion feedback only,
`deliveries.conversion_stats.tracked_campaigns`).

The comparison is a difference of two proportions with a confidence interval, never a bare
ratio: Wilson score intervals for each share, combined by Newcombe's hybrid score method
(Newcombe 1998, "Interval estimation for the difference between independent proportions",
method 10). A route is *suspect* when the whole interval lies more than `margin` below its
peers: it converts worse than them by at least that much, at the chosen confidence. Routes or
peers with fewer than `min_delivered` delivered messages are not judged.
"""

import math
from dataclasses import dataclass

from django.db.models import Sum

from . import status as st
from .conversion_stats import tracked_campaigns
from .rollup_reads import rollup_range_rows
from .slices import Slice

MIN_DELIVERED = 100
MARGIN = 0.10  # ten percentage points
Z_95 = 1.959964


@dataclass(frozen=True)
class RouteTrust:
    provider: str
    operator: str
    channel: str
    delivered: int
    converted: int  # of the delivered
    peer_delivered: int
    peer_converted: int
    # The interval of (peers' rate − this route's rate); None when not judged.
    gap_low: float | None
    gap_high: float | None
    judged: bool
    suspect: bool

    @property
    def rate(self) -> float | None:
        return self.converted / self.delivered if self.delivered else None

    @property
    def peer_rate(self) -> float | None:
        return self.peer_converted / self.peer_delivered if self.peer_delivered else None

    @property
    def never_converted(self) -> float | None:
        return None if self.rate is None else 1 - self.rate


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def difference_interval(x1: int, n1: int, x2: int, n2: int, z: float = Z_95) -> tuple[float, float]:
    """Newcombe's interval for p1 − p2 from the two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def routes_trust(
    *, slice: Slice, min_delivered: int = MIN_DELIVERED, margin: float = MARGIN
) -> list[RouteTrust]:
    """Every route of the slice with delivered, tracked traffic; suspect ones first, then by
    volume. The slice's provider filter is ignored: the peers are the other providers."""
    everyone = Slice(
        since=slice.since,
        until=slice.until,
        campaign=slice.campaign,
        channel=slice.channel,
        operator=slice.operator,
    )
    tracked = tracked_campaigns(slice=everyone)
    rows = rollup_range_rows(
        slice=everyone,
        rows=lambda cells: (
            cells.filter(campaign_id__in=tracked, status__in=st.DELIVERED_STATUSES)
            .values("provider", "operator", "channel")
            .annotate(n=Sum("messages"), c=Sum("converted"))
            .order_by()
        ),
    )
    routes: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        # Operators arrive in any case ("Jio", "JIO"): one route, as the dashboard filters.
        key = (row["provider"], (row["operator"] or "").upper(), row["channel"])
        counts = routes.setdefault(key, [0, 0])
        counts[0] += row["n"] or 0
        counts[1] += row["c"] or 0
    found = []
    for (provider, operator, channel), (n, c) in routes.items():
        peers = [
            v
            for (p, o, ch), v in routes.items()
            if (o, ch) == (operator, channel) and p != provider
        ]
        pn, pc = sum(v[0] for v in peers), sum(v[1] for v in peers)
        judged = n >= min_delivered and pn >= min_delivered
        low = high = None
        if judged:
            low, high = difference_interval(pc, pn, c, n)
        found.append(
            RouteTrust(
                provider,
                operator,
                channel,
                n,
                c,
                pn,
                pc,
                low,
                high,
                judged=judged,
                suspect=judged and low is not None and low > margin,
            )
        )
    if slice.provider:
        found = [r for r in found if r.provider == slice.provider]
    found.sort(key=lambda r: (not r.suspect, -r.delivered, r.provider, r.operator, r.channel))
    return found
