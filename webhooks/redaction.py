"""What of a webhook request is kept and shown: one set of rules for storage, admin and API.

- Credentials — the provider's declared secret parameters and headers, and any key named
  like one (token, secret, password, signature, authorization, API key, …) — become
  `[redacted]`: in headers, query strings and bodies (JSON at any depth, forms).
- Message text — the fields providers echo a message's body in (`text`, `body`,
  `message`, `content`, …) and the `text:` of SMPP receipts — becomes its length
  (`[redacted: 19 chars]`) before the event is stored: an OTP is never kept. Inside
  base64-encoded JSON too, where an adapter declares it (`encoded_json`: Google RBM).
- Phone numbers are stored in full, since reports are parsed from the stored request (a
  GET report's fields are its query string), and shown masked to users without the
  view-full-phone permission: the values of recipient and sender keys, and any number
  written with a leading `+` elsewhere.

Storage changes only what it must: a request with nothing to redact is stored byte for
byte, and a rewritten one still parses into the same reports.
"""

import base64
import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus

from .providers import PROVIDERS
from .redaction_rules import (
    _DROPPED_HEADERS,
    _LOOSE_PAIR,
    OTHER,
    REDACTED,
    SECRET,
    TOO_DEEP,
    Keys,
    _Rules,
    _rules,
)

logger = logging.getLogger(__name__)


# --- Storage ---------------------------------------------------------------------------


def headers_redacted(
    headers: Mapping[str, Any], *, provider: str, secrets: Keys = ()
) -> dict[str, str]:
    """Headers as they are stored and shown: credentials redacted, cookies dropped."""
    rules = _rules(provider, mask_phones=False, secrets=secrets)
    return {
        name: REDACTED if rules.kind(name) == SECRET else str(value)
        for name, value in headers.items()
        if name.lower() not in _DROPPED_HEADERS
    }


def query_to_store(query_string: str, *, provider: str) -> str:
    try:
        return _pairs_cleaned(query_string, _rules(provider, mask_phones=False))
    except Exception:  # a bug here must not refuse a report: the provider would retry for days
        logger.exception("could not redact a %s query string; stored as received", provider)
        return query_string


def body_to_store(body: bytes, *, provider: str) -> bytes:
    """The body without credentials or message text; the same bytes if it has neither."""
    try:
        return _body_cleaned(body, provider)
    except Exception:  # as above
        logger.exception("could not redact a %s body; stored as received", provider)
        return body


def _body_cleaned(body: bytes, provider: str) -> bytes:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # no provider reads it (bodies are UTF-8): kept as evidence
    rules = _rules(provider, mask_phones=False)
    form, data = _parsed(text)
    if form == "json":
        paths = getattr(PROVIDERS.get(provider), "encoded_json", ())
        encoded = _encoded_cleaned(data, paths, rules)
        if not _json_cleaned(data, rules) and not encoded:
            return body
        try:
            return _json_text(data, separators=(",", ":")).encode("utf-8")
        except RecursionError:
            return body
    cleaned = _FORMATS[form](text, rules)
    return body if cleaned == text else cleaned.encode("utf-8")


def _encoded_cleaned(data: Any, paths: tuple[tuple[str, ...], ...], rules: _Rules) -> bool:
    """The same rules inside base64-encoded JSON at `paths` (Google's Pub/Sub envelope
    carries a user's RCS message that way); True if anything changed."""
    changed = False
    for *parents, leaf in paths:
        node = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        encoded = node.get(leaf) if isinstance(node, dict) else None
        if not isinstance(encoded, str):
            continue
        try:
            inner = json.loads(base64.b64decode(encoded, validate=True))
        except (ValueError, RecursionError):
            continue  # not base64 JSON: the parser will say so; nothing readable to hide
        if _json_cleaned(inner, rules):
            node[leaf] = base64.b64encode(_json_text(inner).encode("utf-8")).decode()
            changed = True
    return changed


# --- Display ---------------------------------------------------------------------------


def body_to_show(
    body: bytes, *, provider: str, mask_phones: bool, pretty: bool = False, phones: Keys = ()
) -> str:
    """The body for people: credentials and message text redacted, numbers masked when
    `mask_phones`. `pretty`: JSON indented, forms one `name = value` per line."""
    if not body:
        return ""
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(body)} bytes, not UTF-8: not shown)"
    rules = _rules(provider, mask_phones=mask_phones, phones=phones)
    form, data = _parsed(text)
    if form == "json":
        _json_cleaned(data, rules)
        try:
            return _json_text(data, indent=2 if pretty else None)
        except RecursionError:
            return TOO_DEEP
    cleaned = _FORMATS[form](text, rules)
    return _pairs_lines(cleaned) if pretty and form == "pairs" else cleaned


def query_to_show(
    query_string: str, *, provider: str, mask_phones: bool, pretty: bool = False, phones: Keys = ()
) -> str:
    rules = _rules(provider, mask_phones=mask_phones, phones=phones)
    cleaned = _pairs_cleaned(query_string, rules)
    return _pairs_lines(cleaned) if pretty else cleaned


# --- Formats ---------------------------------------------------------------------------


def _parsed(text: str) -> tuple[str, Any]:
    """("json", the document), or the form of text that is not JSON: "broken" (it looks
    like JSON but does not parse), "pairs" (a form) or "text"."""
    # As the providers read JSON: one leading byte order mark is allowed.
    unmarked = text.removeprefix("\ufeff")
    if unmarked.lstrip()[:1] in ("{", "["):
        try:
            return "json", json.loads(unmarked)
        except (ValueError, RecursionError):
            return "broken", None
    return ("pairs" if "=" in text else "text"), None


def _json_cleaned(data: Any, rules: _Rules) -> bool:
    """Apply `rules` to a parsed document in place; True if anything changed.

    A loop rather than recursion: whatever depth the JSON parser accepted is walked.
    """
    changed = False
    # (container, the key it is the value of, whether it is inside an error object)
    stack: list[tuple[Any, Any, bool]] = [(data, "", False)]
    while stack:
        node, parent, in_error = stack.pop()
        if isinstance(node, dict):
            slots = [(key, key, value) for key, value in node.items()]
        elif isinstance(node, list):
            slots = [(index, parent, value) for index, value in enumerate(node)]
        else:
            continue
        for slot, key, value in slots:
            kind = rules.kind(key)
            if isinstance(value, dict | list):
                if value and kind == SECRET:
                    node[slot], changed = REDACTED, True
                else:
                    stack.append((value, key, in_error or "error" in str(key).lower()))
                continue
            new = rules.value(kind, value, in_error=in_error)
            if new is not value:
                node[slot], changed = new, True
    return changed


def _json_text(data: Any, **options: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped, as it arrived
        text = json.dumps(data, **options)
    return text


def _pairs_cleaned(text: str, rules: _Rules) -> str:
    """A form body or query string with `rules` applied to each value; pairs that need
    no change are kept as they were, byte for byte."""
    if not text:
        return text
    pieces = text.split("&")
    for index, piece in enumerate(pieces):
        raw_key, _, raw_value = piece.partition("=")
        value = unquote_plus(raw_value)
        new = rules.value(rules.kind(unquote_plus(raw_key)), value, in_error=False)
        if new != value:
            pieces[index] = f"{raw_key}={quote_plus(str(new))}"
    return "&".join(pieces)


def _pairs_lines(text: str) -> str:
    return "\n".join(f"{k} = {v}" for k, v in parse_qsl(text, keep_blank_values=True))


def _broken_cleaned(text: str, rules: _Rules) -> str:
    """JSON that does not parse (cut short, or nested too deeply): `rules` go over the
    values of its "key": value pairs, found by pattern."""

    def pair(match: re.Match[str]) -> str:
        literal = match.group(2)
        if literal.startswith('"') and (len(literal) == 1 or not literal.endswith('"')):
            literal += '"'  # the body ends inside this string
        try:
            key, value = json.loads(f'"{match.group(1)}"'), json.loads(literal)
        except (ValueError, RecursionError):
            return match.group()
        new = rules.value(rules.kind(key), value, in_error=False)
        if new is value:
            return match.group()
        return match.group()[: match.start(2) - match.start()] + json.dumps(new)

    return _LOOSE_PAIR.sub(pair, text)


def _text_cleaned(text: str, rules: _Rules) -> str:
    """Text in no known format (an SMPP receipt on its own, say) is one value."""
    cleaned = rules.value(OTHER, text, in_error=False)
    return cleaned if isinstance(cleaned, str) else text


_FORMATS = {"broken": _broken_cleaned, "pairs": _pairs_cleaned, "text": _text_cleaned}
