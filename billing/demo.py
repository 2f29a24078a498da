"""The demo's rate card and column mapping (`manage.py setup_demo`): SMSTAKE and Wavix do not
report prices, so the rate card prices their messages; Infobip reports its own."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import ColumnMapping, Rate, RateCard

DEMO_CARD = "Demo rates"
# provider, channel, price per segment (or per message, for WhatsApp and Voice), currency
DEMO_RATES = [
    ("smstake", "sms", "0.1150", "INR"),
    ("smstake", "whatsapp", "0.7850", "INR"),
    ("smstake", "rcs", "0.3000", "INR"),
    ("smstake", "voice", "0.4500", "INR"),
    ("wavix", "sms", "0.0031", "USD"),
]
# The SMS price went up a day ago: messages before and after are priced apart.
DEMO_RAISE = ("smstake", "sms", "0.1250", "INR")


def demo_rates_ensure(*, now: datetime | None = None) -> RateCard:
    now = now or timezone.now()
    since = datetime(2020, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        card, _ = RateCard.objects.get_or_create(
            name=DEMO_CARD, defaults={"description": "Made by setup_demo."}
        )
        for provider, channel, price, currency in DEMO_RATES:
            Rate.objects.get_or_create(
                provider=provider,
                channel=channel,
                country="IN",
                valid_from=since,
                defaults={"card": card, "price": price, "currency": currency},
            )
        provider, channel, price, currency = DEMO_RAISE
        if not Rate.objects.filter(provider=provider, channel=channel, valid_from__gt=since):
            raised = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
            Rate.objects.create(
                card=card,
                provider=provider,
                channel=channel,
                country="IN",
                valid_from=raised,
                price=price,
                currency=currency,
            )
        # What `billing_demo_export --format generic` writes, for the generic import.
        ColumnMapping.objects.get_or_create(
            provider="infobip",
            defaults={
                "message_id_column": "message_id",
                "time_column": "sent_at",
                "amount_column": "amount",
                "segments_column": "segments",
                "currency_column": "currency",
            },
        )
    return card
