"""Every HTTP request forwarding makes goes through `post()`; the SSRF guard is here too.

`post(url=…, body=…, headers=…) -> Answer` is the whole contract the rest of the app uses:

- it never raises: a refused target, a name that does not resolve, a refused connection, a
  timeout or a TLS error come back as an `Answer` with `status=None` and `error` saying why
  (`refused=True` when the guard refused the target);
- it connects only to addresses `target_check` allows, checked on the addresses the name
  resolves to at connect time (a name that resolved to a public address when the
  subscription was saved and to 127.0.0.1 now is refused: DNS rebinding);
- it waits 3 s at most for the connection and 10 s in all for the answer, follows no
  redirect (a 3xx is an answer like any other, and not a success), and reads at most
  ANSWER_CAP bytes of the answer (the rest is never read: the connection is dropped);
- connections are kept alive and pooled per target (scheme, host, port), and at most
  FORWARDING_TARGET_CONCURRENCY requests to one target are in flight at once (further
  callers wait for a free connection).
"""

import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
ANSWER_CAP = 64 * 1024
EXCERPT_BYTES = 1024
USER_AGENT = "dlrdash-forwarding/1"
# Cloud metadata services outside the link-local range (169.254.169.254 is link-local).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)


class TargetRefused(ValueError):
    """The target is not one forwarding may call; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # HTTP status, None when no answer came
    excerpt: bytes  # the first EXCERPT_BYTES of the answer's body
    latency_ms: float
    error: str = ""  # why there is no answer ("" when there is one)
    refused: bool = False  # the SSRF guard refused the target

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def target_check(url: str) -> None:
    """Raise TargetRefused unless `url` is http(s) and its host resolves only to public
    addresses (or is listed in OUTBOUND_ALLOWED_HOSTS). Resolves the name: call it on save."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("Only http and https URLs with a host are called.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("The URL's port is not a number.") from None
    addresses_checked(parts.hostname, port)


def addresses_checked(host: str, port: int) -> list[tuple]:
    """`getaddrinfo` for host and port, refused if any address is not a public one."""
    allowed = {h.strip().lower() for h in settings.OUTBOUND_ALLOWED_HOSTS}
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc}).") from None
    if host.lower().strip("[]") in allowed:
        return infos
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        reason = _address_refusal(address)
        if reason and str(address) not in allowed:
            raise TargetRefused(
                f"{host} resolves to {address}, {reason}; forwarding calls public addresses "
                "only (list the host in OUTBOUND_ALLOWED_HOSTS to allow it)."
            )
    return infos


def _address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in _METADATA or str(address) == "169.254.169.254":
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return ""


class _GuardedConnect:
    """Resolve, check every address, then connect to a checked one (no second lookup)."""

    def _new_conn(self) -> socket.socket:
        infos = addresses_checked(self._dns_host, self.port)  # type: ignore[attr-defined]
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():  # type: ignore[attr-defined]
                    sock.setsockopt(*option)
                sock.settimeout(self.timeout)  # type: ignore[attr-defined]
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise NewConnectionError(self, f"could not connect: {error}")  # type: ignore[arg-type]


class _HTTPConnection(_GuardedConnect, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnect, HTTPSConnection):
    pass


_pools: dict[tuple[str, str, int], HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(scheme: str, host: str, port: int) -> HTTPConnectionPool:
    key = (scheme, host, port)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                cls = HTTPSConnectionPool if scheme == "https" else HTTPConnectionPool
                pool = cls(
                    host,
                    port,
                    maxsize=settings.FORWARDING_TARGET_CONCURRENCY,
                    block=True,  # the bound per target: callers wait for a connection
                    retries=False,
                )
                pool.ConnectionCls = _HTTPSConnection if scheme == "https" else _HTTPConnection
                _pools[key] = pool
    return pool


def pools_clear() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def post(*, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST `body` to `url`; see the module docstring for the contract."""
    started = time.monotonic()
    parts = urlsplit(url)
    try:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetRefused("Only http and https URLs with a host are called.")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pool = _pool(parts.scheme, parts.hostname, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={"user-agent": USER_AGENT, **headers},
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=urllib3.Timeout(total=TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        )
    except TargetRefused as exc:
        return Answer(None, b"", _ms(started), f"refused: {exc}", refused=True)
    except Exception as exc:
        return Answer(None, b"", _ms(started), _reason(exc))
    try:
        data = _answer_read(response, started)
    except Exception as exc:
        response.close()
        response.release_conn()
        return Answer(response.status, b"", _ms(started), _reason(exc))
    return Answer(response.status, bytes(data[:EXCERPT_BYTES]), _ms(started))


def _answer_read(response: urllib3.BaseHTTPResponse, started: float) -> bytearray:
    data = bytearray()
    while len(data) <= ANSWER_CAP:
        if time.monotonic() - started > TOTAL_TIMEOUT:
            raise TimeoutError(f"no complete answer within {TOTAL_TIMEOUT:.0f} s")
        chunk = response.read(8192)
        if not chunk:
            response.release_conn()  # read to the end: the connection can be reused
            return data
        data += chunk
    # More than the cap: not worth reading, and the connection is not reusable unread.
    response.close()
    response.release_conn()
    return data


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _reason(exc: Exception) -> str:
    # urllib3 wraps the cause (a refused connection, a timeout) in its own exceptions.
    cause = getattr(exc, "reason", None) or exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}"[:500]
