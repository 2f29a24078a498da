"""Alert rules, the alerts they fire, and the notifications sent for each alert."""

import base64
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
    validate_email,
)
from django.db import models
from django.db.models import Q

from deliveries.models import Campaign
from deliveries.reports import CHANNEL_CHOICES
from dlrdash.outbound import validate_destination
from webhooks.models import WebhookEndpoint

# The Message query behind a window is bounded by this (the created_at index serves it).
MAX_WINDOW_MINUTES = 360


def webhook_secret_generate() -> str:
    """A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def addresses_of(value: str) -> list[str]:
    return [a.strip() for a in value.replace("\n", ",").split(",") if a.strip()]


def validate_email_list(value: str) -> None:
    for address in addresses_of(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"{address[:100]} is not an email address.") from None


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        RATE_DROP = "rate_drop", "Delivery rate drop"
        ERROR_SPIKE = "error_spike", "Error code spike"
        NO_DLR = "no_dlr", "No DLR from endpoint"
        FORWARDING = "forwarding", "Forwarding target failing"
        DLR_TRUST = "dlr_trust", "Suspect DLRs (delivered but not converting)"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RATE_DROP)
    active = models.BooleanField(default=True)

    # The segment (rate drop, error spike): every field left empty matches everything.
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE)
    provider = models.CharField(max_length=40, blank=True)
    operator = models.CharField(
        max_length=64, blank=True, help_text="As the dashboard shows it, e.g. AIRTEL."
    )
    channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES, blank=True)
    dlt_template_id = models.CharField(
        "DLT template id",
        max_length=40,
        blank=True,
        help_text="Not in the rollups: window and baseline are counted from messages.",
    )
    error_code = models.CharField(max_length=64, blank=True, help_text="Error spike rules only.")
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="No-DLR rules only: the endpoint that must keep receiving.",
    )

    window_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_MINUTES)]
    )
    baseline_days = models.PositiveIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    min_volume = models.PositiveIntegerField(
        default=100,
        validators=[MaxValueValidator(10**9)],
        help_text="Final reports the window (and the baseline) must hold before the rule judges; "
        "for a suspect-DLR rule, the delivered messages a route and its peers must hold.",
    )
    threshold_points = models.FloatField(
        default=10.0,
        validators=[MinValueValidator(0.1), MaxValueValidator(100.0)],
        help_text="Percentage points below (rate) or above (error share) the baseline.",
    )
    threshold_sigmas = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(20.0)],
        help_text="If set, the threshold is this many standard deviations of the baseline's "
        "hourly values instead (never less than one point).",
    )
    resolve_margin_points = models.FloatField(
        default=2.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(50.0)],
        help_text="Hysteresis: an alert resolves once the gap is this much under the threshold.",
    )

    email_recipients = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="Addresses, separated by commas or new lines.",
    )
    # Only http(s), and never an address inside our network (dlrdash/outbound.py; checked
    # again on every send).
    webhook_url = models.URLField(
        blank=True,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"]), validate_destination],
    )
    webhook_secret = models.CharField(
        max_length=200, blank=True, default=webhook_secret_generate, help_text="whsec_…"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The admin form runs this; the API serializer checks the same in its validate().
        if self.kind == self.Kind.NO_DLR and self.endpoint_id is None:
            raise ValidationError({"endpoint": "A no-DLR rule needs an endpoint."})
        if self.kind == self.Kind.ERROR_SPIKE and not self.error_code:
            raise ValidationError({"error_code": "An error spike rule needs an error code."})

    def emails(self) -> list[str]:
        return addresses_of(self.email_recipients)


class Alert(models.Model):
    class State(models.TextChoices):
        FIRED = "fired", "Fired"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    state = models.CharField(max_length=16, choices=State.choices, default=State.FIRED)
    fired_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The window that fired it, and what was measured there (None for no-DLR rules).
    window_since = models.DateTimeField()
    window_until = models.DateTimeField()
    observed = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    volume = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=500)

    class Meta:
        ordering = ["-fired_at", "-pk"]
        constraints = [
            # One episode per rule: the evaluator never opens a second alert while one is open.
            models.UniqueConstraint(
                fields=["rule"], condition=Q(resolved_at__isnull=True), name="alert_one_open"
            )
        ]
        indexes = [models.Index(fields=["-fired_at"], name="alert_fired_at")]

    def __str__(self) -> str:
        return f"{self.rule} at {self.fired_at:%Y-%m-%d %H:%M}"


class AlertNotification(models.Model):
    class Event(models.TextChoices):
        FIRED = "fired", "Fired"
        RESOLVED = "resolved", "Resolved"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16, choices=Event.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    destination = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        # The retry sweeper's query: pending notifications that are due.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alertnotif_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} → {self.destination}"

    @property
    def webhook_id(self) -> str:
        # Stable across retries, so receivers can deduplicate.
        return f"msg_dlrdash_alert_{self.pk}"
