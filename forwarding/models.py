"""Subscriptions (where customers want outcomes pushed), their outbox and its attempts.

A `Delivery` row is one notification for one subscription: written in the transaction that
changes the message's status (`forwarding.outbox`), or by the no-DLR scan
(`forwarding.deadlines`), then sent and retried by `forwarding.drain`. Its primary key is the
payload's `sequence` and names its `webhook-id`, so both stay the same across retries and
replays.
"""

import base64
import binascii

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q

from deliveries import status as st
from deliveries.models import Message
from dlrdash.outbound import validate_destination

# The three event types a subscription can ask for (the names are part of the contract).
STATUS = "message.status"
FINAL = "message.final"
NO_DLR = "message.no_dlr"
EVENT_TYPES = (STATUS, FINAL, NO_DLR)
EVENT_TYPE_CHOICES = [(STATUS, STATUS), (FINAL, FINAL), (NO_DLR, NO_DLR)]
MAX_NO_DLR_SECONDS = 7 * 24 * 3600
MAX_RETRY_HOURS = 72


def secret_check(value: str) -> None:
    """A Standard Webhooks secret: `whsec_` and base64 of the key."""
    if not value.startswith("whsec_"):
        raise ValidationError("A Standard Webhooks secret starts with whsec_.")
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("The secret after whsec_ must be base64.") from None
    if len(key) < 16:
        raise ValidationError("The secret after whsec_ must be at least 16 bytes.")


class Subscription(models.Model):
    """A customer's receiver: which outcomes it wants, where, signed with which secrets."""

    name = models.CharField(max_length=200)
    # Only http(s), and never an address inside our network (dlrdash.outbound; checked
    # again at connect time). The admin form and the API serializer run this validator.
    url = models.URLField(
        "target URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"]), validate_destination],
    )
    # Every secret signs each delivery (one `v1,` signature each), so a receiver can move
    # to a new secret without a gap: add it here, switch the receiver, drop the old one.
    secrets = models.JSONField(default=list, blank=True, help_text="whsec_… secrets.")
    active = models.BooleanField(default=True)
    event_types = models.JSONField(default=list, help_text="Any of " + ", ".join(EVENT_TYPES))
    # Filters: an empty list (or prefix) matches everything.
    providers = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    campaigns = models.JSONField(default=list, blank=True, help_text="Campaign ids.")
    statuses = models.JSONField(
        default=list, blank=True, help_text="New statuses (message.status and message.final)."
    )
    client_ref_prefix = models.CharField(max_length=200, blank=True)
    no_dlr_seconds = models.PositiveIntegerField(
        "no-DLR deadline (s)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_NO_DLR_SECONDS)],
        help_text="message.no_dlr fires when no final report came this long after submission.",
    )
    include_phone_numbers = models.BooleanField(default=False)
    retry_hours = models.PositiveIntegerField(
        default=MAX_RETRY_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETRY_HOURS)],
        help_text="A delivery still failing this long after it was written is dead-lettered.",
    )
    disabled_reason = models.CharField(max_length=500, blank=True)
    # Health the sender keeps: failing since (cleared by a success), and the circuit: after
    # a failed attempt the target is left alone until `paused_until`.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    # The no-DLR scan's watermark: messages up to (submission time, id) have been looked at.
    no_dlr_scanned_until = models.DateTimeField(null=True, blank=True)
    no_dlr_scanned_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The admin form runs this; the API serializer checks the same.
        for secret in self.secrets:
            secret_check(str(secret))
        unknown = set(self.event_types) - set(EVENT_TYPES)
        if unknown or not self.event_types:
            raise ValidationError({"event_types": f"Choose from {', '.join(EVENT_TYPES)}."})
        if NO_DLR in self.event_types and not self.no_dlr_seconds:
            raise ValidationError({"no_dlr_seconds": "message.no_dlr needs a deadline."})


class Delivery(models.Model):
    """One notification for one subscription: the outbox row, then its delivery log."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed", "failed (dead letter)"

    # Plain ids without database constraints: a constraint check per inserted row would
    # cost the apply path, and deleting a subscription must not cascade over a backlog of
    # millions in one statement (the drain ignores rows of a missing subscription and
    # `deliveries_prune` deletes them in batches).
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="deliveries",
    )
    message = models.ForeignKey(
        Message, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    event_type = models.CharField(max_length=16, choices=EVENT_TYPE_CHOICES)
    status = models.CharField(max_length=16, choices=st.CHOICES)
    previous_status = models.CharField(max_length=16, choices=st.CHOICES, blank=True)
    # The report that caused the change (blank for message.no_dlr).
    provider_status = models.CharField(max_length=64, blank=True)
    provider_code = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    provider_time = models.DateTimeField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time while pending; a worker that claims the row moves it past the time the
    # claim may last, so a worker killed mid-send leaves it to be sent again.
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # Written (or replayed) + the subscription's retry hours: failing past it, dead letter.
    expires_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The queue, per subscription: a paused target's backlog is never walked.
            models.Index(
                fields=["subscription", "next_attempt_at"],
                condition=Q(state="pending"),
                name="delivery_due",
            ),
            # The delivery log and replays "since a time", per subscription.
            models.Index(fields=["subscription", "created_at"], name="delivery_subscription"),
        ]
        constraints = [
            # message.no_dlr fires once per message and subscription, however often a scan
            # looks at it.
            models.UniqueConstraint(
                fields=["subscription", "message"],
                condition=Q(event_type=NO_DLR),
                name="delivery_no_dlr_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"

    @property
    def webhook_id(self) -> str:
        return webhook_id_of(self.pk)


def webhook_id_of(delivery_id: int) -> str:
    """The `webhook-id` header: stable across retries and replays, so receivers can dedupe."""
    return f"msg_dlrdash_fwd_{delivery_id}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, and when we try next."""

    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="attempt_log",
    )
    # Denormalized from the delivery: per-subscription health reads attempts by time.
    subscription_id = models.BigIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    response = models.TextField("answer (first 1 KB)", blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [
            models.Index(fields=["delivery", "attempted_at"], name="attempt_delivery"),
            models.Index(fields=["subscription_id", "attempted_at"], name="attempt_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
