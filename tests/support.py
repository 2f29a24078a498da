"""Helpers for the support-tooling tests: SMSTAKE report bodies."""

import json
from typing import Any

from .helpers import fixture_bytes


def smstake_report(**fields: Any) -> bytes:
    """SMSTAKE's documented sample report with some fields changed (None removes a field)."""
    data = json.loads(fixture_bytes("smstake", "delivered.json"))
    data.update(fields)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()
