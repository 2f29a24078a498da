"""Private PostgreSQL and Redis instances, and the app as real processes, for fault tests.

The shared services on 5432 and 6379 belong to everyone on the machine: these tests stop
and kill their *own* instances only, started on free ports under a temporary folder and
torn down at the end of the session even when a test fails. Tests skip with a clear reason
where `initdb`/`pg_ctl`, `redis-server`, `granian` or `celery` are not installed.

The app runs as it does in production: `python -m dlrdash.serve` (granian, DEBUG off,
behind a proxy that says https), a Celery worker with the periodic sweep, or `manage.py
drain_inbox`. The tests talk to it over real HTTP and read the database with plain SQL.
"""

import glob
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..helpers import smstake_sign

PROJECT = Path(__file__).resolve().parents[2]

BIN = Path(sys.executable).parent

SLUG = "smstake-faults"

DATABASE = "dlrdash_faults"

# In memory only: nothing to clean up, and a restart starts empty like a lost broker.
_REDIS_OPTIONS = ("--save", "", "--appendonly", "no")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclass
class PostgresInstance:
    bindir: Path
    datadir: Path
    port: int
    log: Path
    as_postgres: list[str] = field(default_factory=list)

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
            # A test database: no need to survive an OS crash, only a postgres one.
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._ctl("start", "-w", "-l", str(self.log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash: no checkpoint, connections cut, WAL replay on start."""
        self._ctl("stop", "-w", "-m", mode)

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, *params: Any) -> Any:
        return self.query(sql, *params)[0][0]


@dataclass
class RedisInstance:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [server, "--port", str(self.port), "--bind", "127.0.0.1", *_REDIS_OPTIONS],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: port_open(self.port), timeout=10, what="redis-server")

    def freeze(self) -> None:
        """A hung Redis (swapping, stuck fork): connections open, nothing answers."""
        assert self.process
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class App:
    """The environment the app's processes run with, and helpers to run them."""

    env: dict[str, str]
    logdir: Path

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, name: str, argv: list[str], **env: str) -> subprocess.Popen[bytes]:
        with (self.logdir / f"{name}.log").open("ab") as log:  # the child keeps its copy
            return subprocess.Popen(
                argv,
                cwd=PROJECT,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so teardown ends all of it
            )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def drain_process(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        return self.spawn("drain", [sys.executable, "manage.py", "drain_inbox", *args], **env)

    def celery_worker(
        self, *, beat: bool = False, queues: tuple[str, ...] = (), **env: str
    ) -> subprocess.Popen[bytes]:
        """A worker on the default queue, or on `queues` (e.g. "celery", "outbound")."""
        argv = [str(BIN / "celery"), "-A", "dlrdash", "worker", "--pool", "solo"]
        argv += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        if queues:
            argv += ["--queues", ",".join(queues)]
        if beat:
            argv += ["--beat", "--schedule", str(self.logdir / "celerybeat-schedule")]
        return self.spawn("celery", argv, **env)


def process_end(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """End a process this test suite started, and its children (its own session)."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    seconds: float


@dataclass
class Server:
    port: int

    def post(self, body: bytes, *, timeout: float = 30) -> Answer:
        """POST a correctly signed SMSTAKE body, through a proxy that terminated TLS."""
        headers = {
            "Content-Type": "application/json",
            "X-SMSTAKE-Signature": smstake_sign(body),
            "X-Forwarded-Proto": "https",
        }
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", f"/webhooks/{SLUG}/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, answer_headers, time.monotonic() - started)
        finally:
            conn.close()

    def post_many(self, bodies: list[bytes], *, threads: int = 8) -> list[Answer]:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(self.post, bodies))

    def ready(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("HEAD", f"/webhooks/{SLUG}/", headers={"X-Forwarded-Proto": "https"})
            return conn.getresponse().status == 200
        except OSError:
            return False
