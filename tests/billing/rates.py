"""Rate cards for the tests."""

from datetime import UTC, datetime
from decimal import Decimal

from billing.models import Rate, RateCard

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def rate_add(
    *,
    provider: str,
    price: str,
    currency: str = "USD",
    channel: str = "sms",
    valid_from: datetime = EPOCH,
    card: str = "test",
    **key: str,
) -> Rate:
    """One rate (per segment); `key` may name country, operator, category, encoding."""
    rate_card, _ = RateCard.objects.get_or_create(name=card)
    return Rate.objects.create(
        card=rate_card,
        provider=provider,
        channel=channel,
        price=Decimal(price),
        currency=currency,
        valid_from=valid_from,
        **key,
    )
