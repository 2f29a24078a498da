"""`{{ value|when }}`: a time in the viewer's zone, saying which. A builtin (TEMPLATES in
the settings), so templates use it without loading it."""

from datetime import datetime

from django import template

from ..times import time_display, zone_name

register = template.Library()


@register.filter
def when(value: datetime | None) -> str:
    return time_display(value)


@register.simple_tag
def current_zone() -> str:
    return zone_name()
