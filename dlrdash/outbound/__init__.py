"""The one way out: HTTP requests to destinations that users configure.

Alert webhooks and forwarding subscriptions both go through here, so that a destination
cannot be turned against the network dlrdash runs in:

- `guard`: which destinations are allowed. `target_check(url)`: http or https only, and a
  host that resolves to public addresses only — not loopback, private, link-local,
  multicast, unspecified, reserved, shared or cloud-metadata ones, IPv4 or IPv6, including
  IPv4 inside IPv6 (mapped, 6to4, NAT64) — unless the host is listed in
  OUTBOUND_ALLOWED_HOSTS (names, addresses or networks). Run when a destination is saved
  (`validate_destination`) and again for every new connection.
- `sending`: `exchange()` and `post()`. The host is resolved when a connection is made,
  checked, and the connection made to that checked address, so a name that resolves
  elsewhere a moment later (DNS rebinding) gains nothing; the Host header and TLS (SNI,
  certificate) still use the name. Connections are kept alive in a pool per target, with at
  most FORWARDING_TARGET_CONCURRENCY requests to one target at once. Connecting may take
  CONNECT_TIMEOUT seconds, the whole exchange TOTAL_TIMEOUT; redirects are not followed; at
  most ANSWER_CAP bytes of an answer are read and BODY_KEPT of them kept.
- Every failure is an `OutboundError` whose message can be shown to the user who configured
  the destination: a class ("connection refused", "timed out", "TLS error", "HTTP 500"),
  never an address, a port or a raw system error, which would make a port scanner of it.
"""

from django.core.exceptions import ValidationError

from .guard import (
    OutboundError,
    OutboundRefused,
    OutboundUnresolved,
    Target,
    address_refusal,
    target_check,
)
from .sending import (
    ANSWER_CAP,
    BODY_KEPT,
    CONNECT_TIMEOUT,
    TOTAL_TIMEOUT,
    OutboundResponse,
    exchange,
    pools_clear,
    post,
)

__all__ = [
    "ANSWER_CAP",
    "BODY_KEPT",
    "CONNECT_TIMEOUT",
    "TOTAL_TIMEOUT",
    "OutboundError",
    "OutboundRefused",
    "OutboundResponse",
    "OutboundUnresolved",
    "Target",
    "address_refusal",
    "exchange",
    "pools_clear",
    "post",
    "target_check",
    "validate_destination",
]


# Defined here rather than in `guard`: migrations name it by this path.
def validate_destination(url: str) -> None:
    """Django validator for URL fields that dlrdash will post to.

    A name that does not resolve now is let through: DNS may be away for a moment, and
    every new connection checks again anyway.
    """
    try:
        target_check(url)
    except OutboundRefused as exc:
        raise ValidationError(str(exc)) from None
    except OutboundUnresolved:
        pass
