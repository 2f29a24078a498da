"""What each provider says a message cost, through the receiving view, onto the message."""

from decimal import Decimal

import pytest

from deliveries.models import Message

from .signers import request

CASES = [
    # provider, fixture, message id, (cost, currency, segments)
    ("plivo", "delivered.txt", "5b40a428-bfc7-4daf-9d06-726c558bf3b8", ("0.003200", "USD", 1)),
    (
        "plivo",
        "delivered_multipart.txt",
        "7c1e0b3a-2f4d-4e5a-9b6c-8d7e6f5a4b31",
        ("0.010500", "USD", 3),
    ),
    ("telnyx", "delivered.json", "ac012cbf-5e09-46af-a69a-7c0e2f2b8f7d", ("0.005100", "USD", 1)),
    ("infobip", "delivered.json", "MESSAGE-ID-123-xyz", ("0.010000", "EUR", 1)),
    # pricePerMessage is per part: two parts at 0.0125.
    ("infobip", "delivered_multipart_price.json", "MULTIPART-ID-7c1e-0b3a", ("0.025000", "EUR", 2)),
    ("vonage", "delivered.txt", "0A0000001234567B", ("0.033300", "EUR", None)),
    (
        "vonage_messages",
        "delivered.json",
        "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
        ("0.033300", "EUR", 1),
    ),
    (
        "messagebird",
        "delivered_price.txt",
        "c2b1a09f8e7d4c6b5a493827160f1e2d",
        ("0.071000", "EUR", None),
    ),
]


@pytest.mark.parametrize(("provider", "fixture", "message_id", "expected"), CASES)
def test_it_keeps_the_price_the_provider_reported(deliver, provider, fixture, message_id, expected):
    assert deliver(provider, request(provider, fixture)).status_code == 200

    message = Message.objects.get(provider=provider, message_id=message_id)
    cost, currency, segments = expected
    assert (message.cost, message.cost_currency, message.segments) == (
        Decimal(cost),
        currency,
        segments,
    )
    assert message.cost_source == "reported"


def test_a_report_without_a_price_leaves_the_cost_unknown_without_a_rate_card(deliver):
    deliver("messagebird", request("messagebird", "delivered.txt"))

    message = Message.objects.get(message_id="efa6405d518d4c0c88cce11f7db775fb")
    assert (message.cost, message.cost_currency, message.cost_source) == (None, "", "unknown")


@pytest.mark.parametrize(
    ("provider", "fixture", "message_id"),
    [
        ("plivo", "price_malformed.txt", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
        ("telnyx", "delivered_unicode_cost_malformed.json", "b3f1c9e2-7a4d-4c1b-9e8f-2d6a5b4c3e21"),
    ],
)
def test_a_malformed_price_still_applies_the_status_and_leaves_the_cost_unknown(
    deliver, rate_card, provider, fixture, message_id
):
    rate_card(provider=provider, price="0.0040", currency="USD")

    assert deliver(provider, request(provider, fixture)).status_code == 200

    message = Message.objects.get(provider=provider, message_id=message_id)
    assert message.status == "delivered"
    # Not guessed from the rate card: the provider billed something it did not tell.
    assert (message.cost, message.cost_source, message.price_unreadable) == (None, "unknown", True)


def test_telnyx_tells_the_encoding_and_the_parts(deliver):
    deliver("telnyx", request("telnyx", "delivered_unicode_cost_malformed.json"))

    message = Message.objects.get(message_id="b3f1c9e2-7a4d-4c1b-9e8f-2d6a5b4c3e21")
    assert (message.encoding, message.segments) == ("ucs2", 2)
