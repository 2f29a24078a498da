"""A gateway without an adapter of its own, read through a mapping set in the admin.

Many gateways (most Indian SMS resellers among them) push DLRs as a GET or POST with
parameter names of their own. An administrator describes one per endpoint
(`custom_mapping.py`: where each field is, the status vocabulary, how it authenticates)
and its reports are recorded under the gateway's own name. How to onboard one is in
docs/custom-adapter.md.

Authentication, chosen in the mapping: the endpoint secret as a token (`?token=` or the
basic-auth password, as for Wavix), basic auth with a set user name, or an HMAC
(https://www.rfc-editor.org/rfc/rfc2104) of the raw body — or of `<timestamp><separator>
<body>`, the timestamp header checked against a tolerance — in a header, hex or base64,
after an optional prefix such as `sha256=`. Times are ISO 8601, Unix seconds or
milliseconds, or a strftime pattern
(https://docs.python.org/3/library/datetime.html#format-codes) in an IANA time zone.

Fixtures (tests/fixtures/custom/), written from the shapes such gateways document:
`reseller_delivered.txt` and `reseller_undelivered.txt`, GET callbacks as Indian
resellers send them; `batch.json`, a JSON list of reports (signed with an HMAC header in
the tests).
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from deliveries.reports import DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    form_values,
    text,
    verify_token,
)
from .custom_auth import verify_basic, verify_hmac
from .custom_mapping import Mapping, MappingError, Path, mapping_load, path_get
from .prices import reported_price

MAX_REPORTS = 1000


class CustomProvider(Provider):
    name = "custom"
    label = "Custom (mapping set in the admin)"
    methods: tuple[str, ...] = ("GET", "POST")
    setup_help = (
        "Set the mapping on this endpoint in the admin (or create_endpoint --mapping file.json), "
        "paste a sample callback into “Try a sample”, then give the gateway this URL "
        "(with ?token=<secret> when it authenticates by token)."
    )

    def __init__(self, mapping: Mapping | None = None, invalid: str = "") -> None:
        super().__init__()
        self.mapping = mapping
        # Why a stored mapping cannot be used (it was set outside the admin's checks).
        self.invalid = invalid
        if mapping is not None:
            self.methods = mapping.methods
            if mapping.hmac:
                self.secret_headers = (*type(self).secret_headers, mapping.hmac.header)

    @classmethod
    def configured(cls, settings: Any) -> Provider:
        if not settings:
            return cls()
        try:
            return cls(_mapping_for(settings))
        except MappingError as exc:
            return cls(invalid=f"the endpoint's mapping is invalid: {exc}")

    @property
    def problem(self) -> str:
        """Why this adapter reads no report, if it cannot."""
        if self.mapping is not None:
            return ""
        return self.invalid or "the endpoint's mapping is not set"

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        mapping = self.mapping
        if self.invalid:
            # Which credential to check is part of what is broken: refuse, never guess.
            raise AuthError(self.invalid[:200])
        if mapping is None or mapping.auth_kind == "token":
            # Not set yet: the token convention, so reports sent meanwhile are kept (as
            # unparseable) and can be reprocessed once the mapping is set.
            verify_token(request, secrets)
        elif mapping.auth_kind == "basic":
            verify_basic(request, secrets, mapping.username)
        else:
            verify_hmac(request, secrets, mapping)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if self.mapping is None:
            raise ParseError(self.problem)
        reports = []
        items = _items(request, self.mapping)
        for index, item in enumerate(items):
            try:
                reports.append(self._report(item, self.mapping))
            except ParseError as exc:
                self.item_errors.append(f"reports[{index}]: {exc}" if len(items) > 1 else str(exc))
        if not reports:
            raise ParseError("; ".join(self.item_errors) or "no report in the request")
        return reports

    def _report(self, item: Any, mapping: Mapping) -> DeliveryReport:
        get = _getter(item, mapping)
        message_id = text(get("message_id"))
        if not message_id:
            raise ParseError(f"missing message id (at {'.'.join(mapping.fields['message_id'])})")
        raw_status = text(get("status"))
        status = mapping.statuses.get(raw_status.casefold(), Status.UNKNOWN)
        submitted = _time(get("submitted_at"), mapping)
        done = _time(get("done_at"), mapping)
        channel = text(get("channel")).lower()
        return DeliveryReport(
            provider=mapping.provider_name,
            message_id=message_id,
            status=status,
            provider_status=raw_status,
            event_time=done or submitted,
            error_code=_error_code(text(get("error_code"))),
            error_message=text(get("error_text")),
            channel=channel if channel in _CHANNELS else mapping.default_channel,
            to=text(get("to")),
            sender=text(get("sender")),
            operator=text(get("operator")),
            client_ref=text(get("client_ref")),
            submitted_at=submitted,
            delivered_at=done if status == Status.DELIVERED else None,
            read_at=done if status == Status.READ else None,
            **reported_price(get("price"), get("currency")),
        )

    def price(self, item: Any) -> tuple[Decimal | None, str]:
        """The price and currency one report item carries, when the mapping says where."""
        if self.mapping is None:
            return None, ""
        get = _getter(item, self.mapping)
        try:
            amount = Decimal(text(get("price")))
        except InvalidOperation:
            amount = None
        return (amount if amount is not None and amount.is_finite() else None), text(
            get("currency")
        )

    def phone_keys(self) -> tuple[str, ...]:
        """The keys the mapping reads numbers from, so the webhook log masks them."""
        if self.mapping is None:
            return ()
        paths = [self.mapping.fields.get(name) for name in ("to", "sender")]
        return tuple(path[-1] for path in paths if path)

    def items(self, request: InboundRequest) -> list[Any]:
        """The request's report items, as `parse()` reads them (for the try-it box)."""
        return _items(request, self.mapping) if self.mapping else []


_CHANNELS = frozenset({"sms", "mms", "rcs", "whatsapp", "voice"})


def _frozen(value: Any) -> Any:
    """A hashable copy of stored JSON, so loading a mapping is cached per distinct value."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("__list__", *(_frozen(v) for v in value))
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, tuple):
        if value[:1] == ("__list__",):
            return [_thawed(v) for v in value[1:]]
        return {k: _thawed(v) for k, v in value}
    return value


def mapping_check(raw: Any) -> Mapping:
    """The stored mapping, checked; MappingError names each bad field. Reports may not be
    recorded under a built-in provider's name, whose message ids they would share."""
    from . import PROVIDERS

    return mapping_load(raw, reserved=frozenset(PROVIDERS) - {CustomProvider.name})


# Every request and every drained event asks for its endpoint's adapter, and endpoints come
# from a per-process cache (or once per batch), so the same stored object comes back many
# times: checked once per object, and once per distinct value. (A mapping changed in place,
# without saving a new value, is not seen until the endpoint is read again.)
_recent: dict[int, tuple[Any, Mapping]] = {}


def _mapping_for(settings: Any) -> Mapping:
    hit = _recent.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    mapping = _mapping_cached(_frozen(settings))
    if len(_recent) >= 256:
        _recent.clear()
    _recent[id(settings)] = (settings, mapping)
    return mapping


@lru_cache(maxsize=256)
def _mapping_cached(frozen: Any) -> Mapping:
    # Every request reads its endpoint's mapping: checked once per distinct mapping.
    return mapping_check(_thawed(frozen))


def _items(request: InboundRequest, mapping: Mapping) -> list[Any]:
    if mapping.format == "query":
        return [{k: v[0] if v else "" for k, v in request.query.items()}]
    if mapping.format == "form":
        return [form_values(request)]
    data = path_get(request.json(), mapping.reports_path)
    if isinstance(data, list):
        if len(data) > MAX_REPORTS:
            raise ParseError(f"more than {MAX_REPORTS} reports in one request")
        return data
    if isinstance(data, dict):
        return [data]
    where = ".".join(mapping.reports_path) or "the body"
    raise ParseError(f"expected a report or a list of reports at {where}")


def _error_code(code: str) -> str:
    # "000", "0": the SMPP convention for "no error", which resellers pass on as it is.
    return "" if code.strip("0") == "" else code


def _getter(item: Any, mapping: Mapping) -> Callable[[str], Any]:
    item = as_dict(item)

    def get(name: str) -> Any:
        path: Path | None = mapping.fields.get(name)
        return path_get(item, path) if path else None

    return get


def _time(value: Any, mapping: Mapping) -> datetime | None:
    """A report time in the mapping's format; None when absent or unreadable (a bad time
    must not cost the status)."""
    if value in (None, "") or isinstance(value, bool | dict | list):
        return None
    try:
        if mapping.time_format in ("epoch_s", "epoch_ms"):
            seconds = float(value) / (1000 if mapping.time_format == "epoch_ms" else 1)
            return datetime.fromtimestamp(seconds, tz=UTC)
        if mapping.time_format == "strftime":
            parsed = datetime.strptime(str(value).strip(), mapping.time_pattern)
        else:
            parsed = datetime.fromisoformat(str(value).strip())
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=mapping.time_zone)
