"""`make bench`: every phase side by side in one run, on a database of its own.

    python -m bench                 # full run, ≤ 15 min on 2 cores
    BENCH_QUICK=1 python -m bench   # small sizes, ≤ 2 min, for development
    BENCH_PHASES=ingest python -m bench

Sizes and durations: see bench/config.py and bench/README.md.
"""

import importlib
import time
from dataclasses import asdict

from . import db
from .config import config_from_env
from .results import Results


def main() -> None:
    config = config_from_env()
    results = Results(config=asdict(config))
    started = time.monotonic()
    print(f"dlrdash bench: database {config.db_url}, phases {', '.join(config.phases)}")
    db.database_create(config)
    try:
        db.django_setup(config)
        _phases_run(config, results)
    finally:
        if not config.keep_db:
            from django.db import connections

            connections.close_all()
            db.database_drop(config)
        _redis_clear(config.redis_url)
    results.load_note("end")
    results.extra["seconds"] = round(time.monotonic() - started, 1)
    json_path, md_path = results.write()
    print()
    print(results.table())
    print(f"\n{results.extra['seconds']} s; wrote {json_path} and {md_path}")


# The phases in the order they run: name, what it measures, and the functions it calls as
# "module:function" (each module is imported only when its phase runs).
_PHASES = (
    ("server", "web server layouts", ("server:server_run",)),
    ("ingest", "web server + wrk", ("ingest:ingest_run",)),
    ("apply", "inbox drain", ("apply:apply_run", "backlog:backlog_run")),
    ("forwarding", "outbox, sending, no-DLR deadlines", ("forwarding:forwarding_run",)),
    (
        "ranges",
        "24 h, 30 d, 90 d of rollup cells, daily tier beside hourly",
        ("ranges:ranges_run",),
    ),
    ("analytics", "analytics and trace at each message count", ("analytics:analytics_phase",)),
    ("costs", "bill import rate, /costs/ page", ("costs:costs_run",)),
    ("support", "admin lists, API lists, CSV export", ("support:support_run",)),
)


def _phases_run(config: object, results: Results) -> None:
    from .config import Config

    assert isinstance(config, Config)
    for name, what, calls in _PHASES:
        if name not in config.phases:
            continue
        results.load_note(name)
        print(f"== {name} ({what})", flush=True)
        for call in calls:
            module, function = call.split(":")
            getattr(importlib.import_module(f"bench.{module}"), function)(config, results)


def _redis_clear(url: str) -> None:
    """Drop the drain kicks the ingest phase queued on the suite's own Redis database."""
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as exc:
        print(f"could not clear {url}: {exc}")


if __name__ == "__main__":
    main()
