"""How a custom endpoint's gateway authenticates, as its mapping says (custom.py): basic
auth with a set user name, or an HMAC of the raw body in a header. (The token convention
is `base.verify_token`.)"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from .base import AuthError, InboundRequest, b64decode_loose, constant_time_equal, timestamp_check
from .custom_mapping import Mapping

# Longer than any digest in any encoding, with a prefix: refused before any work.
_MAX_SIGNATURE = 1024


def verify_basic(request: InboundRequest, secrets: Sequence[str], username: str) -> None:
    """Basic auth: the endpoint secret as the password, and the set user name, if any."""
    authorization = request.header("authorization")
    if authorization[:6].lower() != "basic ":
        raise AuthError("missing basic authorization")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthError("malformed basic authorization") from None
    user, _, password = decoded.partition(":")
    # Both compared, whatever the first gives: no timing tells which one was wrong.
    user_ok = not username or constant_time_equal(user, username)
    password_ok = any(constant_time_equal(password, secret) for secret in secrets if secret)
    if not (user_ok and password_ok):
        raise AuthError("wrong basic authorization")


def verify_hmac(request: InboundRequest, secrets: Sequence[str], mapping: Mapping) -> None:
    spec = mapping.hmac
    assert spec is not None
    value = request.header(spec.header).strip()
    if not value:
        raise AuthError(f"missing {spec.header}")
    if len(value) > _MAX_SIGNATURE or not value.startswith(spec.prefix):
        raise AuthError("malformed signature")
    value = value[len(spec.prefix) :].strip()
    signed = request.body
    if spec.timestamp_header:
        timestamp = request.header(spec.timestamp_header)
        timestamp_check(timestamp, tolerance=spec.tolerance)
        signed = f"{timestamp.strip()}{spec.timestamp_separator}".encode() + signed
    if spec.encoding == "hex":
        offered: bytes | None = value.lower().encode("utf-8", "surrogateescape")
    else:
        offered = b64decode_loose(value) if value.isascii() else None
    if not offered:
        raise AuthError("malformed signature")
    digest = getattr(hashlib, spec.algorithm)
    for secret in secrets:
        if not secret:
            continue
        mac = hmac.new(secret.encode(), signed, digest)
        expected = mac.hexdigest().encode() if spec.encoding == "hex" else mac.digest()
        if constant_time_equal(offered, expected):
            return
    raise AuthError("signature mismatch")
