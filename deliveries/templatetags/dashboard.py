"""Formatting for the dashboard pages: rates, latencies, masked phone numbers, and the links
from each figure to its messages."""

from typing import Any

from django import template

from .. import masking
from .. import status as st
from ..slices import Slice

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.9342 → "93.4 %"; no data → "—" (never a misleading 0 %)."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"


@register.filter
def duration(seconds: float | None) -> str:
    """6.7 → "6.7 s", 125 → "2 min 5 s", 7300 → "2 h 1 min"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


@register.filter
def phone_for(e164: str, user: Any) -> str:
    return masking.phone_for(user, e164)


@register.filter
def status_label(value: str) -> str:
    return st.info(value).label


@register.simple_tag
def messages_url(slice: Slice, by: str = "", key: Any = "", **extra: str) -> str:
    """The drill-down of a figure: the messages behind it (`Slice.messages_url`)."""
    return slice.messages_url(by=by, key=str(key), **extra)
