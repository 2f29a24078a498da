"""A person's own settings: today only the time zone their pages show times in."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


@cache
def zone_names() -> list[str]:
    # Read once: the IANA list is a directory scan.
    return sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def validate_zone(value: str) -> None:
    if value and value not in zone_names():
        raise ValidationError(f"{value[:60]} is not a time zone name (e.g. Asia/Kolkata).")


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Blank: the site's (DISPLAY_TIME_ZONE, from the env var TIME_ZONE).
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_zone],
        help_text="An IANA name such as Asia/Kolkata; empty for the site's zone.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"
