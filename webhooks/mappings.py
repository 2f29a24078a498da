"""Checking a custom endpoint's mapping before it is saved: the adapter's own checks, and
that every field it reads survives storage.

The adapter parses the stored request, and storage redacts credentials and message text
(`webhooks.redaction`): a field read from a key such as `message` or `api_key` would be
gone by the time it is parsed, so such a mapping is refused with the reason.
"""

from typing import Any

from .providers.custom import CustomProvider, mapping_check
from .providers.custom_mapping import Mapping, MappingError
from .redaction import path_redacted


def mapping_validate(raw: Any) -> Mapping:
    """The mapping, checked; MappingError names each field that is wrong."""
    mapping = mapping_check(raw)
    errors: dict[str, list[str]] = {}
    for name, path in mapping.fields.items():
        reason = path_redacted(path, provider=CustomProvider.name)
        if reason:
            errors[f"fields.{name}"] = [
                f"{'.'.join(path)}: {reason}, so it cannot be read from the stored request"
            ]
    if errors:
        raise MappingError(errors)
    return mapping
