"""Prometheus metrics of forwarding (exposed at /metrics by dlrdash.ops; the outbox backlog
is read from the database at scrape time there)."""

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter(
    "dlrdash_forwarding_attempts",
    "Delivery attempts to subscribers' receivers, by result (delivered, failed, refused, gone).",
    ["result"],
)
DEAD_LETTERED = Counter(
    "dlrdash_forwarding_dead_lettered", "Deliveries given up after their retry window."
)
NO_DLR_FIRED = Counter("dlrdash_forwarding_no_dlr", "message.no_dlr notifications written.")
SEND_SECONDS = Histogram(
    "dlrdash_forwarding_batch_seconds",
    "Time to send one claimed batch of deliveries.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
