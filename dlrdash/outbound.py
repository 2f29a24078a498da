"""The one way out: HTTP requests to destinations that users configure.

Alert webhooks (and anything else that posts to a URL a user typed) go through here, so that
a destination cannot be turned against the network dlrdash runs in:

- `target_check(url)`: http or https only, and a host that resolves to public addresses
  only — not loopback, private, link-local, multicast, unspecified, reserved, shared or
  cloud-metadata ones, IPv4 or IPv6, including IPv4 inside IPv6 (mapped, 6to4, NAT64) —
  unless the host is listed in OUTBOUND_ALLOWED_HOSTS (names, addresses or networks).
  Run when a destination is saved (`validate_destination`) and again for every request.
- `post(url, body=…, headers=…)`: the host is resolved once, checked, and the connection
  made to that checked address, so a name that resolves elsewhere a moment later (DNS
  rebinding) gains nothing; the Host header and TLS (SNI, certificate) still use the name.
  Connecting may take CONNECT_TIMEOUT seconds, the whole exchange TOTAL_TIMEOUT; redirects
  are not followed (a failure); at most BODY_KEPT bytes of the answer are read.
- Every failure is an `OutboundError` whose message can be shown to the user who configured
  the destination: a class ("connection refused", "timed out", "TLS error", "HTTP 500"),
  never an address, a port or a raw system error, which would make a port scanner of it.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
BODY_KEPT = 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services: AWS, GCP and Azure (also link-local), AWS ECS and IPv6,
# Alibaba, Oracle. Named first: "metadata" says more than "link-local".
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """A request that could not be made or was not accepted; the message is for users."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OutboundRefused(OutboundError):
    """The destination is not allowed."""


class OutboundUnresolved(OutboundError):
    """The host name does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    """A checked destination: where to connect, and what to say to it."""

    scheme: str
    host: str  # ASCII (IDNA), for the Host header and TLS
    port: int
    path: str  # path and query string
    addresses: tuple[str, ...]  # resolved and checked, in the resolver's order


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes  # the first BODY_KEPT bytes


def address_refusal(address: IPAddress) -> str | None:
    """Why dlrdash must not connect to `address`, or None when it is public."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:  # an IPv4 address in IPv6 clothes: judged as itself
            return address_refusal(embedded)
    checks = (
        (address in _METADATA, "a cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        # Shared address space (carrier NAT), benchmarking and the like.
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def target_check(url: str) -> Target:
    """The checked target of `url`. Raises OutboundRefused when it is not allowed and
    OutboundUnresolved when its host name does not resolve."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise OutboundRefused("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs are called")
    if not parts.hostname:
        raise OutboundRefused("the URL has no host")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise OutboundRefused("not a valid host name") from None
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    names, networks = _allowed_hosts()
    if host.lower() not in names:
        for address in addresses:
            reason = address_refusal(address)
            if reason and not any(address in network for network in networks):
                raise OutboundRefused(
                    f"{host} is {reason}, which is not allowed (OUTBOUND_ALLOWED_HOSTS)"
                    if _is_literal(host)
                    else f"{host} resolves to {reason}, which is not allowed "
                    "(OUTBOUND_ALLOWED_HOSTS)"
                )
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return Target(scheme, host, port, path, tuple(str(a) for a in addresses))


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundUnresolved("could not resolve the host name") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundUnresolved("could not resolve the host name")
    return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _allowed_hosts() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """OUTBOUND_ALLOWED_HOSTS: host names, and addresses or networks."""
    names: set[str] = set()
    networks = []
    for entry in settings.OUTBOUND_ALLOWED_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def validate_destination(url: str) -> None:
    """Django validator for URL fields that dlrdash will post to.

    A name that does not resolve now is let through: DNS may be away for a moment, and
    every request checks again anyway.
    """
    try:
        target_check(url)
    except OutboundRefused as exc:
        raise ValidationError(str(exc)) from None
    except OutboundUnresolved:
        pass


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    connect_timeout: float = CONNECT_TIMEOUT,
    total_timeout: float = TOTAL_TIMEOUT,
) -> OutboundResponse:
    """POST `body` to `url`; the answer if it is 2xx, else OutboundError."""
    target = target_check(url)
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = connection_class(target.host, target.port, timeout=connect_timeout)
    conn.addresses, conn.read_timeout = target.addresses, total_timeout
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        conn.abort()

    # The socket timeout bounds each step; this bounds them all (a receiver that trickles
    # its answer a byte at a time would pass every step's timeout).
    watchdog = threading.Timer(total_timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    failure = ""
    try:
        conn.request("POST", target.path, body=body, headers={"User-Agent": "dlrdash", **headers})
        response = conn.getresponse()
        kept = response.read(BODY_KEPT)
        status = response.status
    except Exception as exc:
        failure = _classified(exc)
    finally:
        watchdog.cancel()
        conn.close()
    # Checked first: a connection cut short can also read as an answer that simply ended.
    if expired.is_set():
        raise OutboundError("timed out")
    if failure:
        raise OutboundError(failure)
    if 300 <= status < 400:
        raise OutboundError(f"HTTP {status} (redirects are not followed)", status=status)
    if not 200 <= status < 300:
        raise OutboundError(f"HTTP {status}", status=status)
    return OutboundResponse(status, kept)


def _classified(exc: Exception) -> str:
    """What went wrong, in words that carry no address, port or system detail."""
    if isinstance(exc, OutboundError):
        return str(exc)
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
    """Connects to the checked addresses, never to a fresh resolution of the host name."""

    addresses: tuple[str, ...] = ()
    read_timeout: float | None = None  # once connected; `timeout` is for connecting

    def connect(self) -> None:
        error: OSError = ConnectionRefusedError()
        for address in self.addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect((address, self.port))  # an address: nothing is resolved here
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.read_timeout or self.timeout)
            self.sock = sock
            return
        raise error

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
