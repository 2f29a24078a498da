"""The adapter contract: `verify()` over the raw request, `parse()` from bytes to reports.

Adapters are pure: no database, no network, no clock except where a provider signs a
timestamp. The receiving view calls `handshake()` and then `verify()`; the processing task
calls `parse()` on the stored event, so a parser fix can be replayed over events already
received.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.http import HttpResponse

from deliveries.reports import DeliveryReport

from .storable import UnusableReport, report_storable


class AuthError(Exception):
    """The request is not provably from the provider. Answered `status` (401 unless a
    provider's handshake expects another refusal), logged, never processed."""

    def __init__(self, message: str = "", *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class ParseError(Exception):
    """An authentic request we cannot turn into reports. Kept, marked unparseable."""


@dataclass(frozen=True)
class InboundRequest:
    """What an adapter may look at: the request as the provider sent it."""

    method: str
    url: str  # absolute, as the provider called it (https behind the proxy)
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";")[0].strip().lower()

    def query_value(self, name: str) -> str:
        values = self.query.get(name) or [""]
        return values[0]

    def form(self) -> dict[str, list[str]]:
        """The body as form fields (or the query string for GET callbacks)."""
        if self.method == "GET":
            return dict(self.query)
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"body is not UTF-8: {exc}") from None
        return parse_qs(text, keep_blank_values=True)

    def json(self) -> Any:
        try:
            # JSON on the wire is UTF-8 (RFC 8259); json.loads(bytes) would guess UTF-16/32.
            text = self.body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"body is not UTF-8: {exc}") from None
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ParseError(f"body is not valid JSON: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise ParseError(f"expected a JSON object, got {type(data).__name__}")
        return data


class Provider:
    """Base adapter. Subclasses set the class attributes and implement the two methods."""

    name: ClassVar[str]
    label: ClassVar[str]
    # Not class-only: a configured adapter (`configured()`) may set its own.
    methods: tuple[str, ...] = ("POST",)
    # Query parameters and headers whose values must never reach the log.
    secret_params: ClassVar[tuple[str, ...]] = ("token",)
    secret_headers: tuple[str, ...] = ("authorization",)
    # Paths of JSON fields holding base64-encoded JSON, redacted inside before storage.
    encoded_json: ClassVar[tuple[tuple[str, ...], ...]] = ()
    setup_help: ClassVar[str] = ""

    def __init__(self) -> None:
        # Items of a multi-report request that could not be read; the others still count.
        self.item_errors: list[str] = []

    def handshake(self, request: InboundRequest, secrets: Sequence[str]) -> HttpResponse | None:
        """The answer to a provider's setup request (a subscription check), or None for a
        report, which then goes through `verify()`.

        Called before `verify()`, since a handshake carries no signature: it authenticates
        itself (a verify token, a client token) and raises AuthError when that fails. It
        is stored and logged like any report, and its `parse()` gives no report.
        """
        return None

    @classmethod
    def configured(cls, settings: Any) -> "Provider":
        """The adapter for one endpoint, given its stored settings (`WebhookEndpoint.mapping`).
        Adapters are the same for every endpoint but the custom one, which reads its mapping."""
        return cls()

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        raise NotImplementedError

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        raise NotImplementedError

    def reports(self, request: InboundRequest) -> list[DeliveryReport]:
        """`parse()`, keeping only what the database can store (see `storable`): what
        was dropped is named in `item_errors`; ParseError if no report was usable."""
        kept, unusable = [], []
        for report in self.parse(request):
            try:
                report, dropped = report_storable(report)
            except UnusableReport as exc:
                unusable.append(str(exc))
                continue
            kept.append(report)
            self.item_errors += dropped
        self.item_errors += unusable
        if unusable and not kept:
            raise ParseError("; ".join(self.item_errors))
        return kept

    def acknowledge(self) -> HttpResponse:
        """What the provider expects back once the report is stored."""
        return HttpResponse("OK", content_type="text/plain")


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare without leaking timing, and without failing on non-ASCII header values."""
    a_bytes = a.encode("utf-8", "surrogateescape") if isinstance(a, str) else a
    b_bytes = b.encode("utf-8", "surrogateescape") if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


def secret_matches(offered: str, secrets: Sequence[str]) -> bool:
    """`offered` is one of the endpoint's secrets (never true for an empty one)."""
    return bool(offered) and any(constant_time_equal(offered, s) for s in secrets if s)


def verify_token(request: InboundRequest, secrets: Sequence[str]) -> None:
    """The endpoint secret as the basic-auth password or as a `token` query parameter.

    For providers that do not sign their requests.
    """
    offered = [request.query_value("token")]
    authorization = request.header("authorization")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise AuthError("malformed basic authorization") from None
        offered.append(decoded.partition(":")[2])
    offered = [token for token in offered if token]
    if not offered:
        raise AuthError("missing token")
    if not any(secret_matches(token, secrets) for token in offered):
        raise AuthError("wrong token")


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (with or without offset, naive means UTC) or Unix seconds; else None."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value: Any) -> str:
    """A payload value as text: None and containers become "", numbers their digits."""
    if type(value) is str:  # nearly always: one check instead of four (~12 calls a report)
        return value.strip()
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()


def positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON Infinity
        return None
    return number if 0 <= number < 2**31 else None


def clock() -> float:
    """Unix time now. Tests replace this to check signed timestamps against old vectors."""
    return time.time()


def timestamp_check(value: Any, *, tolerance: int) -> int:
    """A signed Unix timestamp (seconds) within ±tolerance of now, or AuthError."""
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        raise AuthError("malformed timestamp") from None
    if abs(clock() - seconds) > tolerance:
        raise AuthError("timestamp outside the tolerance window")
    return seconds


def b64decode_loose(value: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it is not base64."""
    cleaned = value.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def hmac_b64(key: bytes, message: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, message, digest).digest()).decode()


def form_values(request: InboundRequest) -> dict[str, str]:
    """Form fields (or a GET query) as single values; the first one wins."""
    return {key: values[0] if values else "" for key, values in request.form().items()}


def sha256_hex(data: bytes | str) -> str:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def validity_check(not_before: Any, expires: Any, *, leeway: int) -> None:
    """A token's nbf/exp window (Unix seconds) contains now, or AuthError."""
    if not isinstance(not_before, int | float) or not isinstance(expires, int | float):
        raise AuthError("missing nbf/exp")
    now = clock()
    if now + leeway < not_before or now - leeway > expires:
        raise AuthError("token outside its validity window")


def as_list(value: Any) -> list[Any]:
    """A payload value that should be a list; anything else counts as empty."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """A payload value that should be an object; anything else counts as empty."""
    return value if isinstance(value, dict) else {}
