"""Checking a custom endpoint's mapping before it is saved: the adapter's own checks, and
that every field it reads survives storage.

The adapter parses the stored request, and storage redacts credentials and message text
(`webhooks.redaction`): a field read from a key such as `message` or `api_key` would be
gone by the time it is parsed, so such a mapping is refused with the reason.
"""

from typing import Any

from .providers.custom import CustomProvider, mapping_check
from .providers.custom_mapping import Mapping, MappingError, path_parse
from .redaction_rules import path_redacted


def mapping_validate(raw: Any) -> Mapping:
    """The mapping, checked; MappingError names each field that is wrong (all at once)."""
    errors = _fields_redacted(raw)
    try:
        mapping = mapping_check(raw)
    except MappingError as exc:
        raise MappingError(exc.errors | errors) from None
    if errors:
        raise MappingError(errors)
    return mapping


def _fields_redacted(raw: Any) -> dict[str, list[str]]:
    fields = raw.get("fields") if isinstance(raw, dict) else None
    if not isinstance(fields, dict):
        return {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            path = path_parse(value) if raw.get("format", "json") == "json" else (value.strip(),)
        except ValueError:
            continue  # reported by the adapter's own checks
        reason = path_redacted(path, provider=CustomProvider.name)
        if reason:
            errors[f"fields.{name}"] = [
                f"{value.strip()}: {reason}, so it cannot be read from the stored request"
            ]
    return errors
