"""Times as the token-authenticated gateways write them: Unix seconds or milliseconds
(as numbers or digits) and `YYYY-MM-DD HH:MM:SS` in the provider's own time zone."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# A Unix time above this is in milliseconds: in seconds it would be after the year 5000.
_MILLISECONDS_FROM = 10**11
IST = timezone(timedelta(hours=5, minutes=30), "IST")


def epoch_time(value: Any) -> datetime | None:
    """Unix seconds or milliseconds, as a number or its digits; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number < 0:  # NaN
        return None
    if number >= _MILLISECONDS_FROM:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def local_time(value: Any, zone: timezone) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS` (or ISO 8601) read in `zone` unless it names its own offset."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
