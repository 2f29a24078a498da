"""Fixtures of the fault tests: private PostgreSQL and Redis instances and the app as real
processes (tests/faults/processes.py), torn down at the end of the session even when a test
fails."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ..helpers import SMSTAKE_SECRET
from .processes import (
    BIN,
    DATABASE,
    SLUG,
    App,
    PostgresInstance,
    RedisInstance,
    Server,
    free_port,
    pg_bindir,
    process_end,
    wait_for,
)

_INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

# Two processes of sixteen threads, as in production (dlrdash/serve.py): concurrent
# requests, and a broken connection in one thread or process would show as a 500 in the
# recovery checks.
_SERVER_ENV = {"WEB_CONCURRENCY": "2", "WEB_THREADS": "16"}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresInstance]:
    bindir = pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("fault tests need PostgreSQL server binaries (initdb, pg_ctl)")
    as_postgres: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="dlrdash-faults-pg-"))
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the postgres OS user.
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, user="postgres", group="postgres")
    instance = PostgresInstance(
        bindir=bindir,
        datadir=root / "data",
        port=free_port(),
        log=root / "postgres.log",
        as_postgres=as_postgres,
    )
    subprocess.run(
        [*as_postgres, str(bindir / "initdb"), "-D", str(instance.datadir), *_INITDB_OPTIONS],
        check=True,
        capture_output=True,
        timeout=120,
    )
    instance.start()
    try:
        with psycopg.connect(
            f"host=127.0.0.1 port={instance.port} user=postgres dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        yield instance
    finally:
        # A test that failed half-way may have left it stopped already.
        with contextlib.suppress(subprocess.CalledProcessError):
            instance.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisInstance]:
    if not shutil.which("redis-server"):
        pytest.skip("fault tests need redis-server")
    root = Path(tempfile.mkdtemp(prefix="dlrdash-faults-redis-"))
    instance = RedisInstance(port=free_port(), log=root / "redis.log")
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def app(postgres: PostgresInstance, redis: RedisInstance) -> Iterator[App]:
    missing = [name for name in ("granian", "celery") if not (BIN / name).exists()]
    if missing:
        pytest.skip(f"fault tests need {' and '.join(missing)} next to {sys.executable}")
    logdir = Path(tempfile.mkdtemp(prefix="dlrdash-faults-logs-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dlrdash.settings",
        "DEBUG": "0",
        "SECRET_KEY": "fault-tests-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": postgres.url(),
        "CELERY_BROKER_URL": redis.url,
        "DB_CONNECT_TIMEOUT": "2",
        "INBOX_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    instance = App(env=env, logdir=logdir)
    instance.manage("migrate", "--noinput")
    instance.manage(
        "create_endpoint", "--provider", "smstake", "--slug", SLUG, "--secret", SMSTAKE_SECRET
    )
    yield instance
    shutil.rmtree(logdir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(app: App) -> Iterator[Server]:
    port = free_port()
    process = app.spawn(
        "server",
        [sys.executable, "-m", "dlrdash.serve"],
        WEB_BIND=f"127.0.0.1:{port}",
        **_SERVER_ENV,
    )
    instance = Server(port=port)
    try:
        wait_for(instance.ready, timeout=60, what="the web server")
        yield instance
    finally:
        process_end(process)


@pytest.fixture
def inbox(postgres: PostgresInstance, app: App) -> PostgresInstance:
    """An empty inbox, no messages, no dedup keys; the endpoint stays."""
    postgres.query(
        "TRUNCATE webhooks_inboundevent, deliveries_statusevent, deliveries_reportkey, "
        "deliveries_message RESTART IDENTITY CASCADE"
    )
    return postgres
