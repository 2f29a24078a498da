"""Typed readers of environment variables for the settings: a malformed value stops the
start with ImproperlyConfigured, naming the variable."""

import os
import zoneinfo
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The repository root: where the development defaults (SQLite file, static folders) live.
BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envzone(name: str, default: str) -> str:
    """An IANA time zone name (Asia/Kolkata, UTC, Europe/London)."""
    value = os.environ.get(name, default).strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone name such as Asia/Kolkata, got {value!r}"
        ) from None
    return value
