from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from . import status as st
from .conversion_histogram import CONVERSION_COLUMNS
from .latency import LATENCY_COLUMNS
from .reports import CHANNEL_CHOICES, ENVIRONMENT_CHOICES, Environment


class Campaign(models.Model):
    """A group of messages, joined by a `client_ref` or `tag` prefix."""

    name = models.CharField(max_length=200)
    ref_prefix = models.CharField(
        max_length=100,
        unique=True,
        help_text="Messages whose client_ref or tag starts with this prefix join the campaign.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One outgoing message and its current state, as its reports describe it.

    `status` is assigned in exactly one place: `deliveries.services.reports_apply`.
    """

    provider = models.CharField(max_length=40)
    message_id = models.CharField(max_length=200, help_text="The provider's message id.")
    channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES, default="sms")
    to_raw = models.CharField("to (as reported)", max_length=64, blank=True)
    to = models.CharField("to (E.164)", max_length=20, blank=True)
    sender = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=st.CHOICES, default=st.Status.UNKNOWN)
    provider_status = models.CharField(max_length=64, blank=True)
    provider_code = models.CharField(max_length=64, blank=True)
    operator = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    dlt_template_id = models.CharField("DLT template id", max_length=40, blank=True)
    client_ref = models.CharField(max_length=200, blank=True)
    tag = models.CharField(max_length=200, blank=True)
    segments = models.PositiveIntegerField(null=True, blank=True)
    # Database defaults on the cost fields: rows written by raw SQL (the bench's loader,
    # bulk tools) that do not name them are still valid.
    encoding = models.CharField(
        max_length=8,
        blank=True,
        default="",
        db_default="",
        help_text="gsm7 or ucs2, when the provider says so.",
    )
    category = models.CharField(
        max_length=32,
        blank=True,
        default="",
        db_default="",
        help_text="A pricing category, e.g. WhatsApp's marketing.",
    )
    # What the message cost, priced by `billing.pricing`: the provider's own figure when a
    # report carried one, else the rate card's at its submit time × its segments.
    cost = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    cost_currency = models.CharField(
        max_length=3, blank=True, default="", db_default="", help_text="ISO 4217."
    )
    cost_source = models.CharField(
        max_length=16,
        choices=[("reported", "reported"), ("rate_card", "rate card"), ("unknown", "unknown")],
        default="unknown",
        db_default="unknown",
    )
    # A report carried a price that could not be read: the cost stays unknown rather than
    # guessed from the rate card, until a report with a readable price arrives.
    price_unreadable = models.BooleanField(default=False, db_default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    call_duration = models.PositiveIntegerField(
        "call duration (s)", null=True, blank=True, help_text="Voice only."
    )
    # Indexed by `message_campaign` (campaign, -created_at) only: a second index on the
    # column alone would cost every message write and serve no query the first does not.
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_index=False,
    )
    registered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sending service registered it over the API."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the recipient acted on it (an OTP verified), as the sender reported it over
    # `POST /api/v1/conversions/` (the conversions app, its only writer).
    converted_at = models.DateTimeField(null=True, blank=True)
    # Sandbox once any report came to a sandbox endpoint: such a message is test traffic,
    # traced like any other but counted in no figure (no rollup cell).
    environment = models.CharField(
        max_length=8, choices=ENVIRONMENT_CHOICES, default=Environment.LIVE.value
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "message_id"], name="message_provider_id")
        ]
        indexes = [
            # Support staff look messages up by these three; each index serves /trace/.
            models.Index(fields=["message_id"], name="message_message_id"),
            models.Index(fields=["to", "-created_at"], name="message_to"),
            models.Index(fields=["client_ref"], name="message_client_ref"),
            models.Index(fields=["campaign", "-created_at"], name="message_campaign"),
            models.Index(fields=["status", "-created_at"], name="message_status"),
            # Pending messages only (a small share), by channel and the time the validity
            # window counts from: serves the dashboard's "no DLR past validity" list.
            models.Index(
                F("channel"),
                Coalesce("submitted_at", "created_at"),
                name="message_pending",
                condition=Q(status__in=sorted(st.PENDING_STATUSES)),
            ),
            # The range every page, export and API query selects on (`slices.MESSAGE_TIME`).
            models.Index(Coalesce("submitted_at", "created_at"), name="message_time"),
        ]
        permissions = [("view_full_phone", "Can view full phone numbers")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.message_id}"

    @property
    def latency_seconds(self) -> float | None:
        """Submit → delivered, the number campaign managers watch."""
        start = self.submitted_at or self.sent_at
        if start and self.delivered_at:
            return (self.delivered_at - start).total_seconds()
        return None


class StatusEvent(models.Model):
    """One report as it arrived. Duplicates are stored once (see `ReportKey`).

    On PostgreSQL the table is partitioned by month of `received_at` (`dlrdash.partitions`).
    """

    # Indexed by `event_message` (message, received_at) only, as for Message.campaign.
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    status = models.CharField(max_length=16, choices=st.CHOICES)
    provider_status = models.CharField(max_length=64, blank=True)
    provider_code = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    provider_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(
        max_length=16,
        choices=[(o.value, o.value.replace("_", " ")) for o in st.Outcome],
    )
    # The webhooks.InboundEvent this report came in. A plain id, not a foreign key:
    # deliveries does not depend on webhooks, and the inbox may be partitioned or pruned
    # long before the history is.
    inbound_event_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Hash of provider, message id, status, raw status and provider time: the same
    # report delivered twice (provider retries) maps to the same key. Not unique here (a
    # unique index on a partitioned table must include received_at): ReportKey holds it.
    dedup_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(fields=["message", "received_at"], name="event_message"),
            # Reprocessing finds the event that first recorded a duplicate report by its
            # key (webhooks.outcomes.outcomes_own).
            models.Index(fields=["dedup_key"], name="event_dedup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


class ReportKey(models.Model):
    """The dedup key of every report recorded in the history, kept for
    RETENTION_REPORT_KEY_DAYS: a report whose key is here is a duplicate.

    Its own table, unique across months, because the history is partitioned by month
    (`reports_apply` claims keys with `report_keys_claim`).
    """

    dedup_key = models.CharField(max_length=64, primary_key=True)
    # When the report was first recorded; retention deletes by it.
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.dedup_key


# What tells one rollup cell from another, in both tiers: the unique index's columns, and
# the key the writers upsert on (`deliveries.rollups`).
ROLLUP_CELL_KEY = (
    "bucket",
    "campaign_id",
    "provider",
    "channel",
    "operator",
    "status",
    "error_code",
)


class DeliveryRollup(models.Model):
    """How many messages sit in each cell: hour × campaign × provider × channel × operator ×
    status × error code, with the cell's latency histogram in columns. Maintained by
    `deliveries.rollups`; read by `deliveries.analytics`; rebuilt from `Message` by
    `manage.py rebuild_rollups`.

    A message is counted in exactly one cell, the one its current fields describe; when its
    status (or campaign, operator, …) changes, it moves from one cell to another. Error code
    is part of the key rather than a separate table because it only varies on failed
    messages, so it splits few cells, and one table lets every filter apply to every figure
    with one upsert per cell. Latency is not in the key: it would split every delivered cell
    up to 36 ways (most cells were latency splits, bench/README.md), so each cell holds its
    histogram in `lat_00` … `lat_35` (`deliveries.latency.LATENCY_COLUMNS`), added below.
    """

    # Hour the message was submitted (else created), in UTC.
    bucket = models.DateTimeField()
    # Plain ids with 0 for "none", not a nullable foreign key: NULLs never conflict in a
    # unique index, so ON CONFLICT could not find the row for messages without a campaign.
    campaign_id = models.BigIntegerField(default=0)
    provider = models.CharField(max_length=40)
    channel = models.CharField(max_length=16)
    operator = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=st.CHOICES)
    error_code = models.CharField(max_length=64, blank=True)
    messages = models.BigIntegerField(default=0)
    # Sum of call durations (voice), for the average call duration.
    call_seconds = models.BigIntegerField(default=0)
    # Messages of the cell that converted; their time-to-convert histogram is in
    # `cvt_00` … `cvt_35` (`deliveries.conversion_histogram`), added below.
    converted = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=list(ROLLUP_CELL_KEY),
                name="rollup_cell",
            )
        ]
        indexes = [
            # The unique index serves range scans on bucket; campaign pages filter first.
            models.Index(fields=["campaign_id", "bucket"], name="rollup_campaign"),
            # The filter form's choices: a skip scan over the pairs, each checked for a
            # recent cell (`rollup_reads.rollup_providers_operators`).
            models.Index(
                fields=["provider", "operator", "bucket"], name="rollup_provider_operator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H}h {self.provider}/{self.channel} {self.status}"


# Delivered messages of the cell (with a known latency) per latency bucket: lat_i counts those
# in bucket i. Generated from the bucket edges so the columns cannot drift from them.
# NULL, never 0, when there are none: PostgreSQL stores a NULL as one bit of the row's null
# bitmap, so the cells that are not delivered (most of them) carry no histogram bytes, and
# SUM skips them without work. Every writer
# keeps it so (`deliveries.rollups`); readers take a NULL sum as 0.
for _column in LATENCY_COLUMNS:
    DeliveryRollup.add_to_class(_column, models.BigIntegerField(null=True))

# Converted messages of the cell per time-to-convert bucket, NULL when none, as above.
for _column in CONVERSION_COLUMNS:
    DeliveryRollup.add_to_class(_column, models.BigIntegerField(null=True))


class DeliveryRollupDaily(models.Model):
    """The daily tier: `DeliveryRollup`'s cells summed per UTC day (`bucket` is the day's
    midnight), so a month or a quarter reads a thirtieth of the hourly cells. Maintained in
    the same transaction as the hourly cells (`deliveries.rollups`), rebuilt with them, and
    read for the whole days of a range (`deliveries.rollup_reads`).

    Its columns are `DeliveryRollup`'s, copied below: a counter added to the hourly cells is
    a counter of the daily ones (a migration for both tables), with no list to keep in step.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=list(ROLLUP_CELL_KEY),
                name="rollup_daily_cell",
            )
        ]
        indexes = [models.Index(fields=["campaign_id", "bucket"], name="rollup_daily_campaign")]

    def __str__(self) -> str:
        # The columns are added below, so typed code reads them by name.
        bucket, provider, channel, status = (
            getattr(self, name) for name in ("bucket", "provider", "channel", "status")
        )
        return f"{bucket:%Y-%m-%d} {provider}/{channel} {status}"


for _field in DeliveryRollup._meta.concrete_fields:
    if not _field.primary_key:
        _name, _path, _args, _kwargs = _field.deconstruct()
        DeliveryRollupDaily.add_to_class(_field.name, type(_field)(*_args, **_kwargs))
