"""Optional phase `server` (BENCH_PHASES=server,...): choosing gunicorn's settings.

The same webhook load against a few worker layouts, one server at a time; the default in
gunicorn.conf.py is the best of these on the machine it was chosen on (bench/README.md).
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

LAYOUTS: dict[str, dict[str, object]] = {
    "sync x2": {"WEB_CONCURRENCY": "2", "GUNICORN_WORKER_CLASS": "sync"},
    "sync x4": {"WEB_CONCURRENCY": "4", "GUNICORN_WORKER_CLASS": "sync"},
    "gthread 2x4": {
        "WEB_CONCURRENCY": "2",
        "GUNICORN_WORKER_CLASS": "gthread",
        "GUNICORN_THREADS": "4",
    },
    "gthread 2x8": {
        "WEB_CONCURRENCY": "2",
        "GUNICORN_WORKER_CLASS": "gthread",
        "GUNICORN_THREADS": "8",
    },
    "gthread 2x16": {
        "WEB_CONCURRENCY": "2",
        "GUNICORN_WORKER_CLASS": "gthread",
        "GUNICORN_THREADS": "16",
    },
    "gthread 4x4": {
        "WEB_CONCURRENCY": "4",
        "GUNICORN_WORKER_CLASS": "gthread",
        "GUNICORN_THREADS": "4",
    },
}


def _granian(workers: int, threads: int) -> dict[str, object]:
    """granian (Rust HTTP, WSGI interface): the other WSGI server that held up under load."""
    return {
        "command": [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--no-ws",
            "--log-level",
            "warning",
            "dlrdash.wsgi:application",
        ]
    }


if importlib.util.find_spec("granian") is not None:
    LAYOUTS["granian 2x8"] = _granian(2, 8)
    LAYOUTS["granian 2x16"] = _granian(2, 16)


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
    default = rates["gthread 2x16"]
    for name, rate in rates.items():
        results.add(
            Figure(
                "server",
                f"webhook req/s, gunicorn {name}, c={connections}",
                rate,
                "req/s",
                "gthread 2x16 (default)",
                default,
                rate / default,
            )
        )
