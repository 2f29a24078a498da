"""Sending to checked destinations: pinned keep-alive connections, pooled per target.

A new connection resolves the host, checks every address (`guard.addresses_checked`) and
connects to a checked one: what the name resolves to a moment later (DNS rebinding) is
never used. Idle connections are kept per target (scheme, host, port) and reused; at most
FORWARDING_TARGET_CONCURRENCY requests to one target are in flight at once, further callers
wait for a slot. Socket timeouts bound each step; a shared watchdog cuts any exchange that
outlives TOTAL_TIMEOUT, so a receiver trickling its answer a byte at a time gains nothing.
"""

import contextlib
import heapq
import http.client
import itertools
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from .guard import OutboundError, addresses_checked, url_parsed

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
ANSWER_CAP = 64 * 1024  # read up to this much, so the connection can be reused
BODY_KEPT = 1024


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes  # the first BODY_KEPT bytes


def post(url: str, *, body: bytes, headers: dict[str, str]) -> OutboundResponse:
    """POST `body` to `url`; the answer if it is 2xx, else OutboundError."""
    response = exchange(url, body=body, headers=headers)
    status = response.status
    if 300 <= status < 400:
        raise OutboundError(f"HTTP {status} (redirects are not followed)", status=status)
    if not 200 <= status < 300:
        raise OutboundError(f"HTTP {status}", status=status)
    return response


def exchange(url: str, *, body: bytes, headers: dict[str, str]) -> OutboundResponse:
    """POST `body` to `url` and return whatever answer comes (a 3xx is not followed);
    OutboundError (OutboundRefused for a refused target) when no answer comes."""
    scheme, host, port, path = url_parsed(url)
    pool = _pool(scheme, host, port)
    headers = {"User-Agent": "dlrdash", **headers}
    with pool.slot():
        conn, reused = pool.take()
        try:
            return _exchange(pool, conn, path, body, headers, reused=reused)
        except _Stale:
            # A kept-alive connection the receiver had just closed: once more, afresh.
            return _exchange(pool, pool.fresh(), path, body, headers, reused=False)


class _Stale(Exception):
    pass


def _exchange(
    pool: "_Pool",
    conn: "_PinnedHTTP",
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    reused: bool,
) -> OutboundResponse:
    watch = _watchdog.watch(conn, time.monotonic() + TOTAL_TIMEOUT)
    failure: Exception | None = None
    answered = False
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        answered = True
        kept = response.read(ANSWER_CAP)
        status = response.status
        finished = response.isclosed()
    except Exception as exc:
        failure = exc
    finally:
        _watchdog.done(watch)
    # Checked first: a connection cut short can also read as an answer that simply ended.
    if watch.expired:
        conn.close()
        raise OutboundError("timed out")
    if failure is not None:
        conn.close()
        if reused and not answered and isinstance(failure, _STALE):
            raise _Stale from None
        if isinstance(failure, OutboundError):
            raise failure
        raise OutboundError(_classified(failure)) from None
    if finished and conn.sock is not None:
        pool.give_back(conn)
    else:  # more than the cap, or the receiver closes: not reusable
        conn.close()
    return OutboundResponse(status, kept[:BODY_KEPT])


_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _classified(exc: Exception) -> str:
    """What went wrong, in words that carry no address, port or system detail."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "TLS error"
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed by the receiver"
    if isinstance(exc, http.client.HTTPException):
        return "invalid HTTP response"
    return "connection failed"


class _PinnedHTTP(http.client.HTTPConnection):
    """Checks the host's addresses when it connects, and connects to a checked one."""

    def connect(self) -> None:
        error: OSError = ConnectionRefusedError()
        for address in addresses_checked(host=self.host, port=self.port):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(CONNECT_TIMEOUT)
                sock.connect((address, self.port))  # an address: nothing is resolved here
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.timeout)
            self.sock = sock
            return
        raise error

    def reusable(self) -> bool:
        """Still open and quiet: an idle connection with something to read has been closed
        (or spoken out of turn) by the receiver."""
        if self.sock is None:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def abort(self) -> None:
        """Cut the connection from another thread: a blocked read or write returns."""
        sock = self.sock
        if sock is not None:
            # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under
            # the thread that is reading.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _PinnedHTTPS(http.client.HTTPSConnection, _PinnedHTTP):
    """TLS over `_PinnedHTTP.connect`: HTTPSConnection.connect wraps what it returns,
    with the host name for SNI and the certificate check."""


class _Pool:
    """Idle connections to one target, and the bound on requests in flight to it."""

    def __init__(self, scheme: str, host: str, port: int) -> None:
        self.cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        self.host, self.port = host, port
        self.slots = threading.BoundedSemaphore(settings.FORWARDING_TARGET_CONCURRENCY)
        self.idle: list[_PinnedHTTP] = []
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self.slots:
            yield

    def take(self) -> tuple["_PinnedHTTP", bool]:
        """An idle connection (True) or a new one, not yet connected (False)."""
        while True:
            with self.lock:
                conn = self.idle.pop() if self.idle else None
            if conn is None:
                return self.fresh(), False
            if conn.reusable():
                return conn, True
            conn.close()

    def fresh(self) -> "_PinnedHTTP":
        return self.cls(self.host, self.port, timeout=TOTAL_TIMEOUT)

    def give_back(self, conn: "_PinnedHTTP") -> None:
        with self.lock:
            self.idle.append(conn)

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()


_pools: dict[tuple[str, str, int], _Pool] = {}
_pools_lock = threading.Lock()


def _pool(scheme: str, host: str, port: int) -> _Pool:
    key = (scheme, host.lower(), port)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(key, _Pool(scheme, host, port))
    return pool


def pools_clear() -> None:
    """Close every idle connection and forget the pools (tests; settings changed)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


class _Watch:
    __slots__ = ("conn", "done", "expired")

    def __init__(self, conn: _PinnedHTTP) -> None:
        self.conn = conn
        self.done = False
        self.expired = False


class _Watchdog:
    """One thread for every exchange in flight: at an exchange's deadline, its connection
    is cut (a thread per request would cost more than many requests do)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.heap: list[tuple[float, int, _Watch]] = []
        self.order = itertools.count()
        self.thread: threading.Thread | None = None

    def watch(self, conn: _PinnedHTTP, deadline: float) -> _Watch:
        watch = _Watch(conn)
        with self.cond:
            heapq.heappush(self.heap, (deadline, next(self.order), watch))
            if self.thread is None or not self.thread.is_alive():  # also after a fork
                self.thread = threading.Thread(target=self._run, name="outbound-watchdog")
                self.thread.daemon = True
                self.thread.start()
            if self.heap[0][2] is watch:
                self.cond.notify()
        return watch

    def done(self, watch: _Watch) -> None:
        with self.cond:
            watch.done = True  # left in the heap until its deadline: no search

    def _run(self) -> None:
        with self.cond:
            while True:
                while self.heap and self.heap[0][2].done:
                    heapq.heappop(self.heap)
                if not self.heap:
                    self.cond.wait()
                    continue
                wait = self.heap[0][0] - time.monotonic()
                if wait > 0:
                    self.cond.wait(wait)
                    continue
                _, _, watch = heapq.heappop(self.heap)
                watch.expired = True
                watch.conn.abort()


_watchdog = _Watchdog()
