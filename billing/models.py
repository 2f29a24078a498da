"""What messages cost: the rate card, the spend rollup, and the providers' bills.

Amounts are `Decimal` with six places. Sums kept in tables (the spend rollup) are integer
millionths of the currency unit: SQLite keeps a DECIMAL as a floating-point number, and a
sum of millions of them would drift; integers add exactly on both databases.
"""

from django.db import models

from deliveries import status as st
from deliveries.reports import CHANNEL_CHOICES

AMOUNT_DIGITS = 16
AMOUNT_PLACES = 6

ENCODING_CHOICES = [("", "any"), ("gsm7", "GSM-7"), ("ucs2", "UCS-2 (Unicode)")]


class RateCard(models.Model):
    """A named set of rates, e.g. one provider's price list as imported from its CSV."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rate(models.Model):
    """The price of one segment from `valid_from` on, until a later version of the same key.

    Blank country, operator, category and encoding match anything; the most specific rate
    wins (`billing.pricing.RateBook`).
    """

    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="rates")
    provider = models.CharField(max_length=40)
    channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES, default="sms")
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 alpha-2 of the recipient; blank: any."
    )
    operator = models.CharField(max_length=64, blank=True, help_text="Blank: any.")
    category = models.CharField(max_length=32, blank=True, help_text="Blank: any.")
    encoding = models.CharField(max_length=8, blank=True, choices=ENCODING_CHOICES)
    price = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, help_text="Per segment."
    )
    currency = models.CharField(max_length=3, help_text="ISO 4217.")
    valid_from = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "channel", "country", "operator", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "provider",
                    "channel",
                    "country",
                    "operator",
                    "category",
                    "encoding",
                    "valid_from",
                ],
                name="rate_version",
            )
        ]

    def __str__(self) -> str:
        where = "/".join(v for v in (self.country, self.operator, self.category) if v) or "any"
        return f"{self.provider} {self.channel} {where}: {self.price} {self.currency}"


# What tells one spend cell from another: the unique index's columns, and the key the
# writer upserts on (`billing.spend`).
SPEND_CELL_KEY = ("bucket", "campaign_id", "provider", "channel", "operator", "status", "currency")


class SpendRollup(models.Model):
    """What the messages of one delivery-rollup cell cost, per currency (blank: unknown).

    Keyed like `deliveries.DeliveryRollup` but for the error code (no cost figure splits by
    it, and it would multiply the failed cells the costs page reads) and plus the currency;
    kept in step with it by the same writes (`billing.spend`), so the costs page never
    groups messages.
    """

    bucket = models.DateTimeField()
    campaign_id = models.BigIntegerField(default=0)
    provider = models.CharField(max_length=40)
    channel = models.CharField(max_length=16)
    operator = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=st.CHOICES)
    currency = models.CharField(max_length=3, blank=True)
    messages = models.BigIntegerField(default=0)
    amount_micros = models.BigIntegerField(default=0)
    # Segments of the messages whose segments are known (`segmented` of them).
    segments = models.BigIntegerField(default=0)
    segmented = models.BigIntegerField(default=0)
    # Messages the provider said were UCS-2, of those whose encoding it told (`encoded`).
    unicode = models.BigIntegerField(default=0)
    encoded = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(SPEND_CELL_KEY), name="spend_cell")]
        indexes = [models.Index(fields=["campaign_id", "bucket"], name="spend_campaign")]
        # Who sees costs anywhere (pages, cards, API fields): a permission, so the check
        # rides on the user's cached permissions instead of a query per message.
        permissions = [("view_costs", "Can see what messages cost")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H}h {self.provider} {self.status} {self.currency}"


class ColumnMapping(models.Model):
    """For the generic bill import: which column of a provider's export holds what."""

    provider = models.CharField(max_length=40, unique=True)
    delimiter = models.CharField(max_length=1, default=",")
    message_id_column = models.CharField(max_length=100)
    time_column = models.CharField(max_length=100)
    amount_column = models.CharField(max_length=100)
    segments_column = models.CharField(max_length=100, blank=True)
    currency_column = models.CharField(max_length=100, blank=True)
    status_column = models.CharField(max_length=100, blank=True)
    currency = models.CharField(
        max_length=3, blank=True, help_text="The bill's currency when no column names it."
    )

    def __str__(self) -> str:
        return f"{self.provider} columns"


class BillImport(models.Model):
    """One provider export, imported once: its hash makes a second import a no-op."""

    class State(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        FAILED = "failed"

    provider = models.CharField(max_length=40)
    file_format = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    rows_read = models.BigIntegerField(default=0)
    rows_imported = models.BigIntegerField(default=0)
    rows_skipped = models.BigIntegerField(default=0)
    # {reason: count} and the first few skipped lines with their reasons.
    skipped = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # The months the bill covers, for the reconciliation report's list of months.
    first_billed_at = models.DateTimeField(null=True, blank=True)
    last_billed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # A failed import may be retried with the same file; a complete one may not.
            models.UniqueConstraint(
                fields=["provider", "sha256"],
                condition=models.Q(state="complete"),
                name="bill_import_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.file_name or self.sha256[:12]} ({self.state})"


class BilledMessage(models.Model):
    """One row of a provider's bill: what it charged for one message."""

    bill_import = models.ForeignKey(BillImport, on_delete=models.CASCADE, related_name="rows")
    provider = models.CharField(max_length=40)
    message_id = models.CharField(max_length=200)
    billed_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(max_length=3)
    segments = models.PositiveIntegerField(null=True, blank=True)
    provider_status = models.CharField(max_length=64, blank=True)
    line = models.BigIntegerField(help_text="Line of the file it came from.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "message_id"], name="billed_message_once")
        ]
        indexes = [models.Index(fields=["provider", "billed_at"], name="billed_provider_time")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.message_id} {self.amount} {self.currency}"
