"""Times as people read them: in their zone (the profile's, else DISPLAY_TIME_ZONE), saying which.

Every page and the admin use `time_display` or its template filter `when`, which write the
project's one DATETIME_FORMAT (dlrdash/formats/).
"""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def time_display(value: datetime | None) -> str:
    if value is None:
        return "—"
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def time_display_wrapping(value: datetime | None) -> SafeString:
    """`time_display` for a narrow column: it may wrap between the date and the time only."""
    date, _, rest = time_display(value).partition(" ")
    return format_html('<span class="nowrap">{}</span> <span class="nowrap">{}</span>', date, rest)


def zone_name() -> str:
    """The zone times are shown in for this request, e.g. Asia/Kolkata."""
    return str(timezone.get_current_timezone_name())
