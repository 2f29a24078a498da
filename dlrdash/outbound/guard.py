"""Which destinations dlrdash may call: one address policy, checked when a destination is
saved and again whenever a connection is made (see the package docstring)."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

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
    scheme, host, port, path = url_parsed(url)
    return Target(scheme, host, port, path, addresses_checked(host=host, port=port))


def url_parsed(url: str) -> tuple[str, str, int, str]:
    """(scheme, ASCII host, port, path and query) of `url`; nothing is resolved."""
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
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return scheme, host, port, path


def addresses_checked(*, host: str, port: int) -> tuple[str, ...]:
    """The addresses `host` resolves to now, in the resolver's order; OutboundRefused if any
    of them is not allowed. Connect to these, never to a fresh resolution of the name."""
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
    return tuple(str(a) for a in addresses)


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
