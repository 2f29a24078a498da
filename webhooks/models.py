import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from deliveries.reports import ENVIRONMENT_CHOICES, Environment

from .mappings import mapping_validate
from .providers import Provider, get_provider, provider_choices
from .providers.custom import CustomProvider
from .providers.custom_mapping import MappingError


class WebhookEndpoint(models.Model):
    """Where one provider account posts its reports: `/webhooks/<slug>/`."""

    provider = models.CharField(max_length=40, choices=provider_choices)
    slug = models.SlugField(max_length=100, unique=True)
    # Several secrets are accepted at once so a secret can be rotated without downtime:
    # add the new one, switch the provider over, then retire the old one.
    secrets = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    # The custom provider's mapping (webhooks/providers/custom_mapping.py), checked when
    # saved; other providers ignore it. On the row, not a related table: the receiving
    # view needs it for every request's verify() and reads endpoints from a cache.
    mapping = models.JSONField(default=dict, blank=True)
    # A provider's sandbox posts to an endpoint of its own: its messages are traced and
    # logged like live ones but kept out of every figure (`deliveries.services._counted`).
    environment = models.CharField(
        max_length=8,
        choices=ENVIRONMENT_CHOICES,
        default=Environment.LIVE.value,
        help_text="Live or the provider's sandbox: sandbox traffic is traced but counted "
        "in no dashboard figure, campaign or alert.",
    )
    allowed_ips = models.TextField(
        blank=True,
        help_text="Optional: addresses or networks (one per line) allowed to post here.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.slug} ({self.provider})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        endpoint_cache_clear()

    def get_absolute_url(self) -> str:
        return reverse("webhooks:receive", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.provider == CustomProvider.name and self.mapping:
            try:
                mapping_validate(self.mapping)
            except MappingError as exc:
                raise ValidationError({"mapping": str(exc)}) from None

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        endpoint_cache_clear()
        return result

    def provider_adapter(self) -> Provider:
        return get_provider(self.provider, self.mapping)

    def redaction_keys(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The header names that hold credentials and the keys that hold phone numbers on
        this endpoint beyond its provider's own: a custom mapping names its signature
        header and its recipient and sender fields (see webhooks.redaction)."""
        adapter = self.provider_adapter()
        if not isinstance(adapter, CustomProvider):
            return (), ()
        return adapter.secret_headers, adapter.phone_keys()

    def public_url(self) -> str:
        base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
        return f"{base}{self.get_absolute_url()}"


# Endpoints change rarely and are read on every webhook: each process keeps them for a
# few seconds, since a query per request was a visible share of the webhook's time
# (bench/README.md). A change saved in this process applies at once; in the others
# within ENDPOINT_CACHE_SECONDS.
_endpoint_cache: dict[str, tuple[float, WebhookEndpoint | None]] = {}


def endpoint_for_slug(slug: str) -> WebhookEndpoint | None:
    """The active endpoint at `/webhooks/<slug>/`, or None, from the process's cache."""
    now = time.monotonic()
    cached = _endpoint_cache.get(slug)
    if cached and now - cached[0] < settings.ENDPOINT_CACHE_SECONDS:
        return cached[1]
    endpoint = WebhookEndpoint.objects.filter(slug=slug, active=True).first()
    if len(_endpoint_cache) > 1000:  # unknown slugs must not grow it without bound
        _endpoint_cache.clear()
    _endpoint_cache[slug] = (now, endpoint)
    return endpoint


def endpoint_cache_clear() -> None:
    _endpoint_cache.clear()


class InboundEvent(models.Model):
    """The webhook log and the inbox: every request to a known endpoint, as received.

    Authentic requests keep their raw body and are processed after commit; unauthentic
    ones are logged without their body and never processed. On PostgreSQL the table is
    partitioned by month of `received_at` (`dlrdash.partitions`).
    """

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        # Processing raised INBOX_MAX_ATTEMPTS times, or an operator parked it: for a human.
        FAILED = "failed", "Failed (parked)"
        DISCARDED = "discarded"  # an operator decided it is never to be processed
        REJECTED = "rejected"  # not authentic: logged, not processed

    class Outcome(models.TextChoices):
        APPLIED = "applied"
        DUPLICATE = "duplicate"
        OUT_OF_ORDER = "out_of_order", "out of order"
        UNPARSEABLE = "unparseable"
        ORPHAN = "orphan", "no report"
        ERROR = "error"

    # No index of its own: `inboundevent_endpoint` (endpoint, -received_at) serves every
    # lookup by endpoint, and each index costs every webhook's INSERT and every apply's UPDATE.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    received_at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=8)
    # As `webhooks.redaction` stores them: no credentials, no message text.
    headers = models.JSONField(default=dict)
    query_string = models.TextField(blank=True)
    body = models.BinaryField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    auth_ok = models.BooleanField()
    auth_error = models.CharField(max_length=200, blank=True)
    response_code = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    error = models.TextField(blank=True)
    report_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The queue: workers claim the oldest pending rows. Partial, so it stays tiny.
            models.Index(
                fields=["id"],
                condition=models.Q(state="pending"),
                name="inboundevent_pending",
            ),
            models.Index(fields=["endpoint", "-received_at"], name="inboundevent_endpoint"),
            models.Index(fields=["outcome", "-received_at"], name="inboundevent_outcome"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.endpoint_id} {self.received_at:%Y-%m-%d %H:%M:%S}"


class RejectionCount(models.Model):
    """Requests to an endpoint that failed authentication in one minute and were counted
    instead of logged, past the flood threshold (`webhooks.rejections`)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="rejection_counts"
    )
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index the endpoint health's per-endpoint sums read through.
            models.UniqueConstraint(fields=["endpoint", "minute"], name="rejectioncount_minute")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.minute:%Y-%m-%d %H:%M}: {self.count}"


class UnmappedStatus(models.Model):
    """A status string an endpoint's provider sent that its mapping does not know: the
    reports carrying it were recorded as `unknown`. Counted as batches are applied
    (`webhooks.vocabulary`), so new vocabulary shows in the admin the day it appears."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="unmapped_statuses"
    )
    provider = models.CharField(max_length=40)  # as its reports are recorded
    raw_status = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    # The latest event that carried it. A plain id: the inbox is partitioned and pruned.
    example_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "unmapped status"
        verbose_name_plural = "unmapped statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "provider", "raw_status"], name="unmappedstatus_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.raw_status!r} ×{self.count}"
