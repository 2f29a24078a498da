"""The benchmark database: created and dropped by the suite, nothing else touched."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from .config import BENCH_DB, Config

ROOT = Path(__file__).resolve().parent.parent


def bench_env(config: Config, **extra: str) -> dict[str, str]:
    """Environment for every process of the suite: production-like settings, bench DB."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=config.db_url,
        CELERY_BROKER_URL=config.redis_url,
        DEBUG="0",
        SECRET_KEY="bench-not-secret-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        # granian's start-up advice (threads per core, tcp_migrate_req) is for operators,
        # and is answered in dlrdash/serve.py; it would repeat for every server started.
        WEB_LOG_LEVEL="error",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def database_create(config: Config) -> None:
    _admin(config, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin(config, f"CREATE DATABASE {BENCH_DB}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=bench_env(config),
        check=True,
    )


def database_drop(config: Config) -> None:
    _admin(config, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _admin(config: Config, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside the database itself: use the maintenance one.
    assert BENCH_DB in statement  # never anything but the suite's own database
    with psycopg.connect(f"{config.pg_url}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL(statement))


def django_setup(config: Config) -> None:
    os.environ.update(bench_env(config))
    import django

    django.setup()


def checkpoint() -> None:
    """Every database phase starts here: a checkpoint that lands mid-run skews that run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def baseline_table_create() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_hit ("
            " id bigserial PRIMARY KEY, received_at timestamptz NOT NULL, body bytea NOT NULL)"
        )
