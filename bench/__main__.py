"""`make bench`: every phase side by side in one run, on a database of its own.

    python -m bench                 # full run, ≤ 15 min on 2 cores
    BENCH_QUICK=1 python -m bench   # small sizes, ≤ 2 min, for development
    BENCH_PHASES=ingest python -m bench

Sizes and durations: see bench/config.py and bench/README.md.
"""

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


def _phases_run(config: object, results: Results) -> None:
    from .config import Config

    assert isinstance(config, Config)
    if "server" in config.phases:
        results.load_note("server")
        from .server import server_run

        print("== server (web server layouts)", flush=True)
        server_run(config, results)
    if "ingest" in config.phases:
        results.load_note("ingest")
        from .ingest import ingest_run

        print("== ingest (web server + wrk)", flush=True)
        ingest_run(config, results)
    if "apply" in config.phases:
        results.load_note("apply")
        from .apply import apply_run

        print("== apply (inbox drain)", flush=True)
        apply_run(config, results)
        from .backlog import backlog_run

        backlog_run(config, results)
    if "forwarding" in config.phases:
        results.load_note("forwarding")
        from .forwarding import forwarding_run

        print("== forwarding (outbox, sending, no-DLR deadlines)", flush=True)
        forwarding_run(config, results)
    if "ranges" in config.phases:
        results.load_note("ranges")
        from .ranges import ranges_run

        print("== ranges (24 h, 30 d, 90 d of rollup cells, daily tier beside hourly)", flush=True)
        ranges_run(config, results)
    if "analytics" in config.phases:
        results.load_note("analytics")
        from .analytics import analytics_run

        for n in config.message_sizes:
            print(f"== analytics and trace ({n:,} messages)", flush=True)
            analytics_run(config, results, n)
    if "costs" in config.phases:
        results.load_note("costs")
        from .costs import costs_run

        print("== costs (bill import rate, /costs/ page)", flush=True)
        costs_run(config, results)
    if "support" in config.phases:
        results.load_note("support")
        from .support import support_run

        print("== support (admin lists, API lists, CSV export)", flush=True)
        support_run(config, results)


def _redis_clear(url: str) -> None:
    """Drop the drain kicks the ingest phase queued on the suite's own Redis database."""
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as exc:
        print(f"could not clear {url}: {exc}")


if __name__ == "__main__":
    main()
