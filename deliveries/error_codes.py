"""What provider and operator error codes mean.

The catalog is data (`deliveries/data/error_codes.json`): SMPP `stat` values and common
`err` codes, India's DLT scrubbing codes, WhatsApp and voice codes, and per-provider
entries that override the shared ones. Support reads the meaning next to every raw code;
campaign managers group failures by `category` (DLT: entity, header, template, consent).
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).parent / "data" / "error_codes.json"
SHARED = "*"  # codes every route uses, whatever the provider


@dataclass(frozen=True)
class ErrorMeaning:
    code: str
    meaning: str
    permanent: bool | None  # None: the provider does not say
    category: str = ""  # e.g. "template", "consent", "dnd", "absent_subscriber"


@cache
def _catalog() -> dict[str, dict[str, dict[str, object]]]:
    data = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return {provider: codes for provider, codes in data.items() if not provider.startswith("_")}


def code_normalize(code: str) -> str:
    """Catalog key for a raw code: upper-case; short numeric SMPP codes padded ("1" → "001")."""
    key = (code or "").strip().upper()
    return key.zfill(3) if key.isdigit() and len(key) < 3 else key


def error_code_meaning(*, provider: str, code: str) -> ErrorMeaning | None:
    """The meaning of `code` as reported by `provider`, or None when the catalog lacks it."""
    key = code_normalize(code)
    if not key:
        return None
    catalog = _catalog()
    entry = catalog.get(provider, {}).get(key) or catalog[SHARED].get(key)
    if entry is None:
        return None
    permanent = entry.get("permanent")
    return ErrorMeaning(
        code=(code or "").strip(),
        meaning=str(entry["meaning"]),
        permanent=permanent if isinstance(permanent, bool) else None,
        category=str(entry.get("category", "")),
    )


def error_code_categories() -> list[str]:
    """Every category in the catalog, for filters and drill-downs."""
    return sorted(
        {str(e.get("category", "")) for codes in _catalog().values() for e in codes.values()} - {""}
    )
