"""Helpers shared by the tests (fixtures themselves are in conftest.py)."""

import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pytest
from django.conf import settings
from django.db import connection, transaction
from pytest_django import DjangoDbBlocker

FIXTURES = Path(__file__).parent / "fixtures"
SMSTAKE_SECRET = "whsec_test_smstake_0123456789"
WAVIX_SECRET = "wavix-token-0123456789"

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
requires_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: run with DATABASE_URL=postgres://…"
)

# `make test-fast` is the inner loop (HYPOTHESIS_PROFILE=fast): every property is tried on a
# few examples there; `make test` and CI try each on the count its test asks for.
FAST_EXAMPLES = 10
FAST_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") == "fast"


def examples(count: int) -> int:
    """How many examples a property tries: `count`, or at most FAST_EXAMPLES in the inner loop."""
    return min(count, FAST_EXAMPLES) if FAST_PROFILE else count


@contextmanager
def module_rows(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Rows made once for a module's tests and rolled back after its last one, as Django's
    TestCase.setUpTestData does: each test runs in a savepoint inside this transaction, so
    its own writes are undone and the shared rows stay. Every later test of the module sees
    them, asked for or not: use it where every test reads them or touches no table. (Not for
    `transactional_db` tests.)"""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def fixture_bytes(provider: str, name: str) -> bytes:
    """A payload exactly as stored: byte-exact, since signatures cover the raw body."""
    return (FIXTURES / provider / name).read_bytes()


def smstake_sign(body: bytes, secret: str = SMSTAKE_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@contextmanager
def held_elsewhere(hold: Callable[[], object]) -> Iterator[None]:
    """Another session's transaction, open (its locks held) until the block ends.

    `hold` runs inside it on a thread of its own (so a connection of its own), as another
    worker or a long reader would: the block's code meets its locks.
    """
    holding, release = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with transaction.atomic():
                hold()
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert holding.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)


class _Serving(Protocol):
    def serve_forever(self, poll_interval: float = ...) -> None: ...


def serve_in_thread(server: _Serving) -> None:
    """Serve a test's local receiver from a daemon thread. A short poll, so shutting it down at
    teardown does not wait out socketserver's default half second."""
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
