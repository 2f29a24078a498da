"""Slow request bodies under the production server (`make serve`, granian): clients that
trickle their bodies hold REQUEST_BODY_READERS threads at most, and everyone else is served
meanwhile."""

import contextlib
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..helpers import SMSTAKE_SECRET, fixture_bytes, smstake_sign

# A real server process, held by slow senders for seconds: run by make test, not test-fast.
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
SLOW_SENDERS = 40
READERS = 4
# Fewer threads than slow senders, as in the attack on production (2 x 16 threads).
SERVER_ENV = {"WEB_CONCURRENCY": "1", "WEB_THREADS": "8", "REQUEST_BODY_READERS": str(READERS)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, *, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        return conn.getresponse().status
    finally:
        conn.close()


def _answers(port: int) -> bool:
    try:
        return _get(port, "/healthz", timeout=2) == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`python -m dlrdash.serve` on a free port, DEBUG off, with an SMSTAKE endpoint; the port."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "0",
        "SECRET_KEY": "slow-bodies-test-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEB_BIND": f"127.0.0.1:{port}",
        **SERVER_ENV,
    }
    endpoint = ["--provider", "smstake", "--slug", "smstake", "--secret", SMSTAKE_SECRET]
    for command in (["migrate", "--noinput"], ["create_endpoint", *endpoint]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=PROJECT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "dlrdash.serve"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the teardown ends its workers too
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()


def _post_webhook(port: int) -> http.client.HTTPResponse:
    body = fixture_bytes("smstake", "delivered.json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/webhooks/smstake/",
        body=body,
        headers={
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/json",
            "X-SMSTAKE-Signature": smstake_sign(body),
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


class SlowSenders:
    """Connections that announce a webhook body and send it a byte at a time, until closed."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(
                b"POST /webhooks/smstake/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Forwarded-Proto: https\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # answered and closed: nothing to send
                    sock.send(b" ")

    def answers(self, *, expected: int) -> list[bytes]:
        """The status lines received, once `expected` have come (or after 30 s)."""
        lines: dict[socket.socket, bytes] = {}
        deadline = time.monotonic() + 30
        while len(lines) < expected and time.monotonic() < deadline:
            waiting = [sock for sock in self.sockets if sock not in lines]
            for sock in select.select(waiting, [], [], 1)[0]:
                lines[sock] = sock.recv(4096).split(b"\r\n", 1)[0]
        return list(lines.values())

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_slow_senders_hold_a_few_threads_and_everyone_else_is_served(server: int) -> None:
    senders = SlowSenders(server, SLOW_SENDERS)
    try:
        # The readers are taken; the other slow senders are turned away at once.
        answers = senders.answers(expected=SLOW_SENDERS - READERS)
        health = _get(server, "/healthz", timeout=30)
        webhook = _post_webhook(server)
        assert senders.thread.is_alive()  # all still trickling meanwhile
    finally:
        senders.close()

    assert answers == [b"HTTP/1.1 503 Service Unavailable"] * (SLOW_SENDERS - READERS)
    assert health == 200
    # Retried by the provider: a 503 with Retry-After, not a hang.
    assert (webhook.status, webhook.getheader("Retry-After")) == (503, "5")


def _webhook_until(port: int, status: int) -> int:
    deadline = time.monotonic() + 30
    while (answered := _post_webhook(port).status) != status and time.monotonic() < deadline:
        time.sleep(0.2)
    return answered


def test_the_readers_come_back_when_slow_senders_leave(server: int) -> None:
    # Slow senders of an earlier test may still hold readers for a moment after leaving.
    assert _webhook_until(server, 200) == 200
    senders = SlowSenders(server, READERS)
    try:
        taken = _webhook_until(server, 503)
    finally:
        senders.close()

    assert taken == 503
    assert _webhook_until(server, 200) == 200
