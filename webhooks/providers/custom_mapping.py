"""The mapping of a `custom` endpoint: how to read one gateway's callbacks, as data.

Stored as JSON on the endpoint (`WebhookEndpoint.mapping`) and checked here when it is
saved (admin, `create_endpoint --mapping`) and when it is loaded. Nothing in it is
executed: a path is dotted keys and list indexes (`data.items`, `results.0.id`), a time
is read by one of four fixed formats, a status maps through a plain dictionary.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deliveries.status import Status

# The fields a gateway's report may carry, each read at a path of the mapping.
FIELDS = (
    "message_id",
    "status",
    "error_code",
    "error_text",
    "to",
    "sender",
    "operator",
    "submitted_at",
    "done_at",
    "client_ref",
    "channel",
    "price",
    "currency",
)
REQUIRED_FIELDS = ("message_id", "status")
TIME_FIELDS = ("submitted_at", "done_at")
FORMATS = ("json", "form", "query")
METHODS = ("GET", "POST")
TIME_FORMATS = ("iso8601", "epoch_s", "epoch_ms", "strftime")
AUTH_KINDS = ("token", "basic", "hmac")
ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
CHANNELS = ("sms", "mms", "rcs", "whatsapp", "voice")
KEYS = frozenset(
    {
        "provider_name",
        "methods",
        "format",
        "reports_path",
        "fields",
        "time_format",
        "time_pattern",
        "time_zone",
        "statuses",
        "default_channel",
        "auth",
    }
)
AUTH_KEYS = frozenset(
    {
        "kind",
        "username",
        "header",
        "algorithm",
        "encoding",
        "prefix",
        "timestamp_header",
        "timestamp_separator",
        "tolerance",
    }
)
_PROVIDER_NAME = re.compile(r"[a-z0-9_-]{1,40}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")
# A path segment: anything but dots and whitespace; a run of digits also indexes a list.
_SEGMENT = re.compile(r"[^.\s]{1,100}")
MAX_SEGMENTS = 12
MAX_STATUSES = 500

Path = tuple[str, ...]


class MappingError(ValueError):
    """The mapping is not usable; `errors` names each field that is wrong and why."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class HmacAuth:
    header: str  # lower-cased, as InboundRequest keeps header names
    algorithm: str
    encoding: str
    prefix: str = ""
    timestamp_header: str = ""
    timestamp_separator: str = "."
    tolerance: int = 300


@dataclass(frozen=True)
class Mapping:
    provider_name: str
    methods: tuple[str, ...]
    format: str
    reports_path: Path
    fields: dict[str, Path]
    statuses: dict[str, Status]  # keys case-folded
    time_format: str = "iso8601"
    time_pattern: str = ""
    time_zone: tzinfo = UTC
    default_channel: str = "sms"
    auth_kind: str = "token"
    username: str = ""
    hmac: HmacAuth | None = field(default=None)


def path_parse(value: str) -> Path:
    """`data.items.0.id` → ("data", "items", "0", "id"); ValueError if it is not a path."""
    value = value.strip()
    segments = tuple(value.split(".")) if value else ()
    if len(segments) > MAX_SEGMENTS:
        raise ValueError(f"at most {MAX_SEGMENTS} segments")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise ValueError(
                f"{value!r} is not a path: keys joined by dots, list positions as numbers "
                "(e.g. data.items or results.0.id)"
            )
    return segments


def path_get(data: Any, path: Path) -> Any:
    """The value at `path` in parsed JSON, or None when any step is missing."""
    for segment in path:
        if isinstance(data, dict):
            data = data.get(segment)
        elif isinstance(data, list) and segment.isascii() and segment.isdigit():
            index = int(segment)
            if index >= len(data):
                return None
            data = data[index]
        else:
            return None
    return data


def mapping_load(raw: Any, *, reserved: frozenset[str] = frozenset()) -> Mapping:
    """The stored JSON as a checked Mapping, or MappingError naming every bad field.

    `reserved`: provider names the reports may not be recorded under (the built-in
    adapters', whose message ids they would share)."""
    errors: dict[str, list[str]] = {}

    def bad(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not isinstance(raw, dict):
        raise MappingError({"mapping": ["must be a JSON object"]})
    for key in sorted(set(raw) - KEYS):
        bad(str(key), "unknown key")
    name = _string(raw, "provider_name", bad)
    if not _PROVIDER_NAME.fullmatch(name):
        bad("provider_name", "lower-case letters, digits, - and _ (at most 40), e.g. acme-sms")
    elif name in reserved:
        bad("provider_name", f"{name!r} is a built-in provider: choose the gateway's own name")
    methods = _methods(raw.get("methods", ["POST"]), bad)
    fmt = _choice(raw, "format", FORMATS, "json", bad)
    reports_path = _path(raw, "reports_path", bad)
    if reports_path and fmt != "json":
        bad("reports_path", "only a JSON body carries a list of reports")
    if fmt == "json" and "GET" in methods:
        bad("methods", "a GET callback has no body: use the query format")
    fields = _fields(raw.get("fields", {}), fmt, bad)
    statuses = _statuses(raw.get("statuses", {}), bad)
    time_format = _choice(raw, "time_format", TIME_FORMATS, "iso8601", bad)
    pattern = _string(raw, "time_pattern", bad)
    if time_format == "strftime":
        _pattern_check(pattern, bad)
    zone = _zone(_string(raw, "time_zone", bad) or "UTC", bad)
    channel = _choice(raw, "default_channel", CHANNELS, "sms", bad)
    auth = raw.get("auth", {"kind": "token"})
    kind, username, hmac_auth = _auth(auth, bad)
    if hmac_auth and methods == ("GET",):
        bad("auth.kind", "an HMAC signs the body and a GET callback has none: use a token")
    if errors:
        raise MappingError(errors)
    return Mapping(
        provider_name=name,
        methods=methods,
        format=fmt,
        reports_path=reports_path,
        fields=fields,
        statuses=statuses,
        time_format=time_format,
        time_pattern=pattern,
        time_zone=zone,
        default_channel=channel,
        auth_kind=kind,
        username=username,
        hmac=hmac_auth,
    )


Bad = Any  # the error collector: bad(key, message)


def _string(raw: dict[str, Any], key: str, bad: Bad, limit: int = 200) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        bad(key, "must be text")
        return ""
    if len(value) > limit:
        bad(key, f"at most {limit} characters")
        return ""
    return value.strip()


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, bad: Bad) -> str:
    value = raw.get(key) or default
    if value not in allowed:
        bad(key, f"one of {', '.join(allowed)}")
        return default
    return str(value)


def _methods(value: Any, bad: Bad) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or any(m not in METHODS for m in value):
        bad("methods", "GET, POST or both")
        return ("POST",)
    return tuple(m for m in METHODS if m in value)


def _path(raw: dict[str, Any], key: str, bad: Bad) -> Path:
    try:
        return path_parse(_string(raw, key, bad))
    except ValueError as exc:
        bad(key, str(exc))
        return ()


def _fields(value: Any, fmt: str, bad: Bad) -> dict[str, Path]:
    if not isinstance(value, dict):
        bad("fields", "must be an object of field → path")
        return {}
    fields: dict[str, Path] = {}
    for key in sorted(set(value) - set(FIELDS)):
        bad(f"fields.{key}", "unknown field")
    for name in FIELDS:
        path = _path(value, name, lambda _, message, n=name: bad(f"fields.{n}", message))
        if not path:
            if name in REQUIRED_FIELDS:
                bad(f"fields.{name}", "required: where the gateway puts it")
            continue
        if fmt != "json" and len(path) > 1:
            path = (".".join(path),)  # a form parameter's name may contain dots
        fields[name] = path
    return fields


def _statuses(value: Any, bad: Bad) -> dict[str, Status]:
    if not isinstance(value, dict) or not value:
        bad("statuses", "map at least one of the gateway's status values to a status")
        return {}
    if len(value) > MAX_STATUSES:
        bad("statuses", f"at most {MAX_STATUSES} values")
        return {}
    canonical = {s.value for s in Status}
    statuses: dict[str, Status] = {}
    for raw_value, target in value.items():
        key = str(raw_value).strip().casefold()
        if not key or len(key) > 64:
            bad("statuses", f"{raw_value!r}: a status value is 1 to 64 characters")
        elif not isinstance(target, str) or target not in canonical:
            bad("statuses", f"{raw_value!r}: {target!r} is not one of {', '.join(canonical)}")
        elif key in statuses and statuses[key] != target:
            bad("statuses", f"{raw_value!r} is mapped twice (values match ignoring case)")
        else:
            statuses[key] = Status(target)
    return statuses


def _pattern_check(pattern: str, bad: Bad) -> None:
    if "%" not in pattern:
        bad("time_pattern", "a strftime pattern, e.g. %Y-%m-%d %H:%M:%S")
        return
    sample = datetime(2026, 12, 1, 10, 15, 30, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(pattern), pattern)
    except (ValueError, TypeError, OverflowError) as exc:
        bad("time_pattern", f"does not read back what it writes: {exc}")


def _zone(name: str, bad: Bad) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        bad("time_zone", f"{name!r} is not a time zone name (e.g. Asia/Kolkata or UTC)")
        return UTC


def _auth(value: Any, bad: Bad) -> tuple[str, str, HmacAuth | None]:
    if not isinstance(value, dict):
        bad("auth", "must be an object")
        return "token", "", None
    for key in sorted(set(value) - AUTH_KEYS):
        bad(f"auth.{key}", "unknown key")

    def sub(key: str, message: str) -> None:
        bad(f"auth.{key}", message)

    kind = _choice(value, "kind", AUTH_KINDS, "token", sub)
    username = _string(value, "username", sub)
    if kind != "hmac":
        return kind, username, None
    header = _string(value, "header", sub)
    if not _HEADER_NAME.fullmatch(header):
        sub("header", "the name of the header carrying the signature, e.g. X-Signature")
    timestamp_header = _string(value, "timestamp_header", sub)
    if timestamp_header and not _HEADER_NAME.fullmatch(timestamp_header):
        sub("timestamp_header", "a header name, e.g. X-Timestamp")
    tolerance = value.get("tolerance", 300)
    if type(tolerance) is not int or not 1 <= tolerance <= 86400:
        sub("tolerance", "seconds, from 1 to 86400")
        tolerance = 300
    separator = value.get("timestamp_separator", ".")
    if not isinstance(separator, str) or len(separator) > 8:
        sub("timestamp_separator", "at most 8 characters")
        separator = "."
    return (
        kind,
        username,
        HmacAuth(
            header=header.lower(),
            algorithm=_choice(value, "algorithm", ALGORITHMS, "sha256", sub),
            encoding=_choice(value, "encoding", ENCODINGS, "hex", sub),
            prefix=_string(value, "prefix", sub, limit=40),
            timestamp_header=timestamp_header.lower(),
            timestamp_separator=separator,
            tolerance=tolerance,
        ),
    )
