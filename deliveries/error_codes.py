"""What provider and operator error codes mean (catalog filled by the support issue)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorMeaning:
    code: str
    meaning: str
    permanent: bool | None  # None: the provider does not say
    category: str = ""  # e.g. "dlt_template", "dnd", "absent_subscriber"


def error_code_meaning(*, provider: str, code: str) -> ErrorMeaning | None:
    """The meaning of `code` as reported by `provider`, or None when the catalog lacks it."""
    return None
