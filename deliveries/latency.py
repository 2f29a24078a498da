"""The latency histogram's buckets, submit → delivered, shared by the model and its writers.

Bucket i holds latencies in [EDGES[i-1], EDGES[i]) seconds, log-spaced by √2 from 1 s to
~36 h; bucket 0 is "under a second" and the last one is open-ended. Percentiles are read
from these by interpolating inside the bucket where the share is reached
(`latency_quantile`): never further off than that bucket's width, and much closer when
latencies spread smoothly over it. `DeliveryRollup` has one count column per bucket
(`LATENCY_COLUMNS`), so this module imports no models: the model is built from it.
"""

import math
from bisect import bisect_right
from collections.abc import Mapping
from datetime import timedelta

LATENCY_EDGES: tuple[float, ...] = tuple(2 ** (k / 2) for k in range(35))
# The same edges in whole microseconds. Both the incremental path (Python) and the rebuild
# (SQL) compare integer microseconds with these, so a latency lying exactly on an edge falls
# in the same bucket on both sides (float logarithms could disagree there).
EDGE_MICROSECONDS: tuple[int, ...] = tuple(round(e * 1_000_000) for e in LATENCY_EDGES)
NO_LATENCY = -1
# One rollup column per bucket, bucket i in LATENCY_COLUMNS[i]: lat_00 … lat_35.
LATENCY_COLUMNS: tuple[str, ...] = tuple(f"lat_{i:02d}" for i in range(len(LATENCY_EDGES) + 1))


def latency_bucket(latency: float | timedelta) -> int:
    """The bucket of a latency (seconds, or a timedelta): how many edges it reaches."""
    if isinstance(latency, timedelta):
        micros = latency // timedelta(microseconds=1)
    else:
        micros = round(latency * 1_000_000)
    return bisect_right(EDGE_MICROSECONDS, micros)


def latency_bucket_bounds(index: int) -> tuple[float, float]:
    """Seconds [low, high) a latency bucket covers; the last bucket is open-ended."""
    low = 0.0 if index <= 0 else LATENCY_EDGES[index - 1]
    high = LATENCY_EDGES[index] if index < len(LATENCY_EDGES) else math.inf
    return low, high


def latency_quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """Seconds within which a share `q` of the histogram's latencies lie, interpolated.

    Inside the bucket where the share is reached, latencies are taken as spread evenly on a
    log scale (the buckets are log-spaced, and so are latencies: a bucket from 8 s to 11 s
    holds more 8 s than 11 s reports), linearly in bucket 0, which starts at zero. The open
    last bucket is taken as one more √2 wide. So two slices whose latencies differ inside a
    bucket read different percentiles, where the bucket's middle read the same for both.
    """
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index in sorted(histogram):
        count = histogram[index]
        if count <= 0:
            continue
        if seen + count >= rank:
            share = min(max((rank - seen) / count, 0.0), 1.0)
            low, high = latency_bucket_bounds(index)
            if index <= 0:
                return high * share
            if math.isinf(high):
                high = low * math.sqrt(2)
            return float(low * (high / low) ** share)
        seen += count
    return None  # unreachable: the loop ends with seen == total


def latency_bucket_value(index: int) -> float:
    """A representative latency for a bucket: the geometric middle of its bounds."""
    if index <= 0:
        return 0.5
    low = LATENCY_EDGES[index - 1]
    high = LATENCY_EDGES[index] if index < len(LATENCY_EDGES) else low * math.sqrt(2)
    return math.sqrt(low * high)
