"""Scheduled digests: who gets which e-mail, when, and the record of each one sent."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(f"{value[:60]} is not a time zone name (e.g. Asia/Kolkata).")


def default_time_zone() -> str:
    """The zone people read (DISPLAY_TIME_ZONE), not the server's UTC."""
    return str(settings.DISPLAY_TIME_ZONE)


class DigestSubscription(models.Model):
    """A user's daily or weekly digest, sent at `hour` in `time_zone` when `condition` holds."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Condition(models.TextChoices):
        ALWAYS = "always", "Always"
        FAILURES = "failures", "Only if messages failed"
        NEEDS_ACTION = "needs_action", "Only if messages need action (failed or no DLR)"
        ALERTS = "alerts", "Only if alerts fired"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)], help_text="Hour of the day, in the zone."
    )
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="Weekly digests only."
    )
    # A new subscription starts in the user's own zone (their profile's, else the site's).
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    condition = models.CharField(max_length=16, choices=Condition.choices, default=Condition.ALWAYS)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "frequency"]
        constraints = [
            models.UniqueConstraint(fields=["user", "frequency"], name="digest_one_per_frequency")
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} digest for {self.user}"


class DigestRun(models.Model):
    """One period of one subscription, sent or skipped: the digest goes out once per period."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (condition false)"
        NO_ADDRESS = "no_address", "Skipped (no e-mail address)"

    subscription = models.ForeignKey(
        DigestSubscription, on_delete=models.CASCADE, related_name="runs"
    )
    # The period covered, [since, until): `until` is the scheduled send time.
    since = models.DateTimeField()
    until = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "until"], name="digest_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} until {self.until:%Y-%m-%d %H:%M}: {self.outcome}"
