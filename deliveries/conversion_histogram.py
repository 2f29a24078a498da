"""The time-to-convert histogram's columns: the latency histogram's buckets, reused.

Time to convert runs from a message's submission (else its send, else its creation) to the
conversion its sender reported; it is bucketed with `latency_bucket`, so the same √2-spaced
edges, percentiles and ±20 % accuracy apply. `DeliveryRollup` has one count column per
bucket (`CONVERSION_COLUMNS`: cvt_00 … cvt_35) beside `converted`, the cell's converted
messages. A time below zero (a sender's clock ahead of the provider's) falls in bucket 0.
"""

from .latency import LATENCY_COLUMNS

CONVERSION_COLUMNS: tuple[str, ...] = tuple(f"cvt_{i:02d}" for i in range(len(LATENCY_COLUMNS)))
