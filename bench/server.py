"""Optional phase `server` (BENCH_PHASES=server,...): choosing the web server and its layout.

The same webhook load against granian (the production launcher, dlrdash/serve.py) in a few
layouts and gunicorn in its usual ones, one server at a time; production runs the best of
these on the machine it was chosen on (bench/README.md, "Choosing the server").
"""

import importlib.util
import sys
import tempfile
from pathlib import Path

from . import db
from .config import Config
from .ingest import (
    VIEWS,
    bodies_write,
    endpoint_create,
    free_port,
    server_start,
    server_stop,
    wrk_run,
)
from .results import Figure, Results

_GUNICORN = [sys.executable, "-m", "gunicorn", "dlrdash.wsgi", "-c", "bench/gunicorn.conf.py"]


def _gunicorn(workers: int, worker_class: str, threads: int = 1) -> dict[str, object]:
    return {
        "command": _GUNICORN,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_WORKER_CLASS": worker_class,
        "GUNICORN_THREADS": str(threads),
    }


def _granian(workers: int, threads: int) -> dict[str, object]:
    """The production launcher (dlrdash/serve.py) with another layout."""
    return {"WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads)}


PRODUCTION = "granian 2x16"
LAYOUTS: dict[str, dict[str, object]] = {
    PRODUCTION: _granian(2, 16),
    "granian 2x8": _granian(2, 8),
    "granian 2x32": _granian(2, 32),
    "granian 1x16": _granian(1, 16),
    "granian 4x8": _granian(4, 8),
    # Group commit's worth, measured: four writers per process, and none (one INSERT each).
    "granian 2x16, 4 group writers": {**_granian(2, 16), "WEBHOOK_GROUP_WRITERS": "4"},
    "granian 2x16, no group commit": {**_granian(2, 16), "WEBHOOK_GROUP_COMMIT": "0"},
}
if importlib.util.find_spec("gunicorn") is not None:  # a development dependency
    LAYOUTS |= {
        "gunicorn sync x2": _gunicorn(2, "sync"),
        "gunicorn sync x4": _gunicorn(4, "sync"),
        "gunicorn gthread 2x4": _gunicorn(2, "gthread", 4),
        "gunicorn gthread 2x16": _gunicorn(2, "gthread", 16),
        "gunicorn gthread 4x4": _gunicorn(4, "gthread", 4),
    }


def server_run(config: Config, results: Results) -> None:
    secret = endpoint_create()
    db.baseline_table_create()
    workdir = Path(tempfile.mkdtemp(prefix="dlrdash-bench-"))
    bodies = workdir / "bodies.txt"
    bodies_write(bodies, secret)
    connections = max(config.ingest_connections)
    rates: dict[str, float] = {}
    try:
        for name, env in LAYOUTS.items():
            port = free_port()
            env = dict(env)
            command = env.pop("command", None)
            server = server_start(config, port, command, **env)  # type: ignore[arg-type]
            try:
                wrk_run(port, VIEWS["webhook"], bodies, connections, 2)
                db.checkpoint()
                run = wrk_run(port, VIEWS["webhook"], bodies, connections, config.ingest_seconds)
            finally:
                server_stop(server)
            rates[name] = run["rps"]
            print(
                f"    {name:<12} {run['rps']:>7.0f} req/s p99 {run['p99_us'] / 1000:.1f} ms "
                f"errors {run['errors']}",
                flush=True,
            )
    finally:
        bodies.unlink()
        workdir.rmdir()
    default = rates[PRODUCTION]
    for name, rate in rates.items():
        results.add(
            Figure(
                "server",
                f"webhook req/s, {name}, c={connections}",
                rate,
                "req/s",
                f"{PRODUCTION} (production)",
                default,
                rate / default,
            )
        )
