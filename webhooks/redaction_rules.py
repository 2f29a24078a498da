"""The rules behind webhooks.redaction: which keys hold credentials, message text or phone
numbers (per provider), and how a value of each kind is cut or masked."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from deliveries.phones import phone_mask, phone_to_e164

from .providers import PROVIDERS
from .providers.smpp import receipt_text_span

REDACTED = "[redacted]"
# Never kept, whatever the provider: they identify our users' sessions, not reports.
_DROPPED_HEADERS = frozenset({"cookie"})
# Keys (lower-cased, "-" read as "_") that hold credentials, whatever the provider.
_SECRET_WORDS = re.compile(
    r"token|secret|passw|signature|authori[sz]ation|api_?key|credential|private_?key|cookie"
)
_SECRET_NAMES = frozenset({"sig", "pwd", "key", "auth"})
# Keys whose values are the text of a message, as providers echo it (Twilio's `Body`,
# Plivo's `Text`, Jasmin's `text`, WhatsApp's `text.body`, Telnyx's `payload.text`, …).
_TEXT_KEYS = frozenset(
    {"text", "body", "message", "content", "msg", "message_text", "sms_text", "caption"}
)
# Keys whose values are a recipient's or a sender's number.
_PHONE_KEYS = frozenset(
    {
        "to",
        "from",
        "msisdn",
        "msisdns",
        "recipient",
        "recipients",
        "destination",
        "destination_addr",
        "dest_addr",
        "source_addr",
        "phone",
        "phone_number",
        "phonenumber",
        "mobile",
        "mobile_number",
        "number",
        "numbers",
        "sender",
        "originator",
        "channeltoaddress",
        "wa_id",
        "recipient_id",
        "to_number",
        "from_number",
    }
)
_ANY_NUMBER = re.compile(r"\+?\d[\d \-().]*\d")
# Elsewhere only a leading "+" says "phone number": bare digits are ids and timestamps.
_PLUS_NUMBER = re.compile(r"\+\d[\d \-().]*\d")
_MIN_DIGITS = 7
_MARKER = re.compile(r"\[redacted: \d+ chars?\]")
# A "key": value pair in text that is not valid JSON (truncated, or nested too deeply).
_LOOSE_PAIR = re.compile(
    r'"((?:[^"\\]|\\.){1,100})"\s*:\s*("(?:[^"\\]|\\.)*(?:"|$)|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
)
TOO_DEEP = "[body nested too deeply to display]"
# Key names an endpoint adds to its provider's (webhooks.models.WebhookEndpoint.redaction_keys).
Keys = tuple[str, ...]
# What a key says its value is.
SECRET, TEXT, PHONE, OTHER = "secret", "text", "phone", "other"


def text_marker(length: int) -> str:
    """What stands for a message text of `length` characters."""
    return f"[redacted: {length} char{'' if length == 1 else 's'}]"


@dataclass(frozen=True, slots=True)
class _Rules:
    secrets: frozenset[str]
    mask_phones: bool
    phones: frozenset[str] = frozenset()

    def kind(self, key: object) -> str:
        kind = _key_kind(key, self.secrets)
        if kind == OTHER and self.phones and _key(key) in self.phones:
            return PHONE
        return kind

    def value(self, kind: str, value: Any, *, in_error: bool) -> Any:
        """A scalar `value` of a key of `kind` as it may be kept or shown."""
        if kind == OTHER and not self.mask_phones and type(value) is not str:
            return value  # most values, when storing: the walk over every body stays cheap
        if value is None or value == "" or isinstance(value, bool):
            return value
        if kind == SECRET:
            return REDACTED
        if kind == TEXT and not in_error:
            # An error object's `message` is the provider's diagnosis, not the message.
            text = str(value)
            return value if _MARKER.fullmatch(text) else text_marker(len(text))
        if isinstance(value, str):
            value = receipt_text_redacted(value)
        if not self.mask_phones or not isinstance(value, str | int | float):
            return value
        text = str(value)
        masked = _numbers_masked(text, _ANY_NUMBER if kind == PHONE else _PLUS_NUMBER)
        return value if masked == text else masked


def _rules(provider: str, *, mask_phones: bool, secrets: Keys = (), phones: Keys = ()) -> _Rules:
    """The provider's rules; `secrets` and `phones` name keys an endpoint's own mapping
    adds (a custom endpoint's signature header, its recipient field)."""
    return _provider_rules(provider, mask_phones, frozenset(secrets), frozenset(phones))


@cache
def _provider_rules(
    provider: str, mask_phones: bool, secrets: frozenset[str], phones: frozenset[str]
) -> _Rules:
    cls = PROVIDERS.get(provider)
    declared = (*cls.secret_params, *cls.secret_headers, *secrets) if cls else (*secrets,)
    phone_keys = frozenset(map(_key, phones)) - _PHONE_KEYS
    return _Rules(frozenset(map(_key, declared)) | _SECRET_NAMES, mask_phones, phone_keys)


def path_redacted(path: Sequence[str], *, provider: str) -> str:
    """Why a value at `path` (JSON keys, or one form parameter) is not stored as received
    — it holds a credential or a message's text — or "" when it is."""
    rules = _rules(provider, mask_phones=False)
    if any(rules.kind(segment) == SECRET for segment in path):
        return "credentials are not stored"
    in_error = any("error" in segment.lower() for segment in path[:-1])
    if path and rules.kind(path[-1]) == TEXT and not in_error:
        return "message text is not stored"
    return ""


# Every value asks what its key is; providers use the same few dozen keys.
@lru_cache(maxsize=4096)
def _key_kind(name: object, secrets: frozenset[str]) -> str:
    key = _key(name)
    if key in secrets or _SECRET_WORDS.search(key):
        return SECRET
    if key in _TEXT_KEYS:
        return TEXT
    return PHONE if key in _PHONE_KEYS else OTHER


def _key(name: object) -> str:
    return str(name).lower().replace("-", "_")


def receipt_text_redacted(value: str) -> str:
    """An SMPP-style receipt ("id:… stat:… text:…") with its `text:` part cut to a marker."""
    span = receipt_text_span(value) if ":" in value and "text" in value.lower() else None
    if span is None or _MARKER.fullmatch(value[span[0] : span[1]]):
        return value
    start, end = span
    return value[:start] + text_marker(end - start) + value[end:]


def _numbers_masked(text: str, pattern: re.Pattern[str]) -> str:
    def mask(match: re.Match[str]) -> str:
        run = match.group()
        if sum(c.isdigit() for c in run) < _MIN_DIGITS:
            return run
        return phone_mask(phone_to_e164(run) or run)

    return pattern.sub(mask, text)
