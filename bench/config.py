"""Suite configuration, from environment variables only (see bench/README.md)."""

import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# The one database the suite creates and drops. It never connects to any other one except
# the server's maintenance database, to run CREATE / DROP DATABASE for this name.
# BENCH_DB_NAME lets two checkouts benchmark on one server without dropping each other's.
BENCH_DB = os.environ.get("BENCH_DB_NAME", "dlrdash_bench")
# What `make bench` runs; `server` is optional (BENCH_PHASES=server,…).
DEFAULT_PHASES = "ingest,apply,forwarding,ranges,analytics,costs,support"


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def _sizes(name: str, default: str) -> tuple[int, ...]:
    value = os.environ.get(name, "") or default
    try:
        sizes = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be integers separated by commas") from None
    if not sizes or min(sizes) < 1000:
        raise ImproperlyConfigured(f"{name} must name at least one size of 1,000 or more")
    return sizes


def _bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Config:
    quick: bool
    pg_url: str  # server URL without database name: postgres://user@host:port
    redis_url: str
    ingest_seconds: int
    ingest_connections: tuple[int, ...]
    fixed_rate: int
    apply_messages: int
    naive_events: int
    apply_seconds: int
    backlog_events: int
    backlog_seconds: int
    message_sizes: tuple[int, ...]  # the analytics and trace phase runs once per size
    analytics_requests: int
    naive_repeats: int
    trace_samples: int
    forwarding_backlog: int  # pending deliveries the sending worker starts from
    forwarding_seconds: int  # at most this long sending them
    no_dlr_seconds: int  # registering 1,000 messages/s this long for the no-DLR figure
    ranges_baseline_requests: int  # the ranges phase's hourly-only requests per page
    support_messages: int  # the support phase's messages
    support_log_rows: int  # and webhook-log rows
    keep_db: bool
    profile: bool
    phases: tuple[str, ...]

    @property
    def db_url(self) -> str:
        return f"{self.pg_url}/{BENCH_DB}"


def config_from_env() -> Config:
    quick = _bool("BENCH_QUICK")
    connections = os.environ.get("BENCH_CONNECTIONS", "8,32" if quick else "8,32,64")
    phases = os.environ.get("BENCH_PHASES", DEFAULT_PHASES)
    return Config(
        quick=quick,
        pg_url=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/"),
        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        ingest_seconds=_int("BENCH_INGEST_SECONDS", 3 if quick else 10),
        ingest_connections=tuple(int(c) for c in connections.split(",") if c.strip()),
        fixed_rate=_int("BENCH_FIXED_RATE", 1000),
        # ~2.6 events each: at ~8,000 reports/s 20,000 messages drained in 6 s, and worker
        # start-up and the last batches weighed on the 2-worker ratio; 60,000 last ~20 s.
        apply_messages=_int("BENCH_APPLY_MESSAGES", 4000 if quick else 60000),
        apply_seconds=_int("BENCH_APPLY_SECONDS", 15 if quick else 30),
        backlog_events=_int("BENCH_BACKLOG_EVENTS", 100_000 if quick else 1_000_000),
        backlog_seconds=_int("BENCH_BACKLOG_SECONDS", 15 if quick else 30),
        naive_events=_int("BENCH_NAIVE_EVENTS", 1000 if quick else 4000),
        # Comma-separated: the analytics and trace phase generates each size afresh and
        # measures it (1 M then 10 M take ~5 min on 2 quiet cores).
        message_sizes=_sizes("BENCH_MESSAGES", "100000" if quick else "1000000,10000000"),
        analytics_requests=_int("BENCH_ANALYTICS_REQUESTS", 10 if quick else 30),
        naive_repeats=_int("BENCH_NAIVE_REPEATS", 3),
        trace_samples=_int("BENCH_TRACE_SAMPLES", 100 if quick else 300),
        forwarding_backlog=_int("BENCH_FORWARDING_BACKLOG", 100_000 if quick else 1_000_000),
        forwarding_seconds=_int("BENCH_FORWARDING_SECONDS", 10 if quick else 30),
        no_dlr_seconds=_int("BENCH_NO_DLR_SECONDS", 10 if quick else 30),
        ranges_baseline_requests=_int("BENCH_RANGES_BASELINE_REQUESTS", 1 if quick else 3),
        support_messages=_int("BENCH_SUPPORT_MESSAGES", 1_000_000 if quick else 10_000_000),
        support_log_rows=_int("BENCH_SUPPORT_LOG_ROWS", 2_500_000 if quick else 25_000_000),
        keep_db=_bool("BENCH_KEEP_DB"),
        profile=_bool("BENCH_PROFILE"),
        phases=tuple(p.strip() for p in phases.split(",") if p.strip()),
    )
