"""The latency histogram's buckets, submit → delivered, shared by the model and its writers.

Bucket i holds latencies in [EDGES[i-1], EDGES[i]) seconds, log-spaced by √2 from 1 s to
~36 h; bucket 0 is "under a second" and the last one is open-ended. Percentiles read from
these are accurate to about ±20 %. `DeliveryRollup` has one count column per bucket
(`LATENCY_COLUMNS`), so this module imports no models: the model is built from it.
"""

import math
from bisect import bisect_right
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


def latency_bucket_value(index: int) -> float:
    """A representative latency for a bucket: the geometric middle of its bounds."""
    if index <= 0:
        return 0.5
    low = LATENCY_EDGES[index - 1]
    high = LATENCY_EDGES[index] if index < len(LATENCY_EDGES) else low * math.sqrt(2)
    return math.sqrt(low * high)
