"""The figures of a slice of messages: counts summed from rollup cells, and the rates, shares
and latency percentiles derived from them (the definitions are `deliveries.analytics`'s)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import status as st
from .latency import LATENCY_COLUMNS, latency_quantile

CHAT_CHANNELS = frozenset({"whatsapp", "rcs"})


@dataclass
class Figures:
    """Counts for one slice of messages, and the rates derived from them."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    no_dlr: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    chat_delivered: int = 0
    read: int = 0
    calls: int = 0
    answered: int = 0
    answered_seconds: int = 0
    latency_histogram: dict[int, int] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        """Count a row of summed cells: `status`, `channel`, `n`, optionally `secs`, `no_dlr`
        and the histogram (`LATENCY_COLUMNS`; rows without it add no latency)."""
        status, channel, n = row["status"], row["channel"], row["n"] or 0
        kind = st.info(status).kind
        self.sent += n
        if n:  # a status with no messages is left out, whichever cells (or tier) said so
            self.by_status[status] = self.by_status.get(status, 0) + n
        setattr(self, kind, getattr(self, kind) + n)
        self.no_dlr += row.get("no_dlr") or 0
        if channel in CHAT_CHANNELS and kind == "delivered":
            self.chat_delivered += n
            self.read += n if status == st.Status.READ else 0
        if channel == "voice":
            self.calls += n
            if status == st.Status.ANSWERED:
                self.answered += n
                self.answered_seconds += row.get("secs") or 0
        if kind == "delivered":  # only delivered messages have a latency (counted_of)
            histogram = self.latency_histogram
            for bucket, count in enumerate(map(row.get, LATENCY_COLUMNS)):
                if count:
                    histogram[bucket] = histogram.get(bucket, 0) + count

    @property
    def failed_by_kind(self) -> dict[str, int]:
        return {s: self.by_status.get(s, 0) for s in sorted(st.FAILED_STATUSES, key=st.rank)}

    @property
    def delivery_rate(self) -> float | None:
        return _ratio(self.delivered, self.sent)

    @property
    def failure_rate(self) -> float | None:
        return _ratio(self.failed, self.sent)

    @property
    def dlr_coverage(self) -> float | None:
        return _ratio(self.delivered + self.failed, self.sent)

    @property
    def read_rate(self) -> float | None:
        return _ratio(self.read, self.chat_delivered)

    @property
    def answer_rate(self) -> float | None:
        return _ratio(self.answered, self.calls)

    @property
    def average_call_seconds(self) -> float | None:
        return _ratio(self.answered_seconds, self.answered)

    def latency_percentile(self, q: float) -> float | None:
        """Seconds within which a share `q` of delivered messages arrived (interpolated
        inside a histogram bucket: `deliveries.latency.latency_quantile`)."""
        value = latency_quantile(self.latency_histogram, q)
        return None if value is None else round(value, 1)

    @property
    def latency_p50(self) -> float | None:
        return self.latency_percentile(0.5)

    @property
    def latency_p90(self) -> float | None:
        return self.latency_percentile(0.9)

    @property
    def latency_p95(self) -> float | None:
        return self.latency_percentile(0.95)

    @property
    def latency_p99(self) -> float | None:
        return self.latency_percentile(0.99)


@dataclass
class Group:
    key: str
    label: str
    figures: Figures


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
