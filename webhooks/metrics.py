"""Prometheus metrics for the inbound side (exposed at /metrics by dlrdash.ops).

With several processes (web server workers, Celery), set PROMETHEUS_MULTIPROC_DIR to an empty
directory shared by them, as prometheus-client's multiprocess mode requires.
"""

from prometheus_client import Counter, Histogram

WEBHOOK_REQUESTS = Counter(
    "dlrdash_webhook_requests",
    "Webhook requests by provider and answer.",
    ["provider", "result"],  # accepted, unauthorized, forbidden, too_large, unavailable
)
WEBHOOK_REJECTIONS_UNLOGGED = Counter(
    "dlrdash_webhook_rejections_unlogged",
    "Webhook requests refused (401/403) past the per-endpoint log rate: counted, not logged.",
    ["provider"],
)
REPORTS = Counter(
    "dlrdash_reports",
    "Delivery reports applied, by outcome (applied, recorded, out_of_order, duplicate).",
    ["outcome"],
)
EVENTS_PROCESSED = Counter(
    "dlrdash_inbound_events_processed",
    "Inbound events processed, by outcome (applied, duplicate, unparseable, error, …).",
    ["outcome"],
)
EVENTS_DEFERRED = Counter(
    "dlrdash_inbound_events_deferred",
    "Inbound events left pending for a later batch: another worker held one of their messages.",
)
APPLY_SECONDS = Histogram(
    "dlrdash_apply_batch_seconds",
    "Time to parse and apply one batch of inbound events.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
