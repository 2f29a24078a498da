"""Standard Webhooks: the specification's test vector, tolerance, rotation, reports."""

import pytest

from deliveries.models import Message
from webhooks.models import InboundEvent
from webhooks.providers import AuthError, InboundRequest, base
from webhooks.providers.standard_webhooks import StandardWebhooksProvider

from .signers import request

# The specification's test vector (standard-webhooks libraries' tests).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _vector(signature: str = SIGNATURE, body: bytes = PAYLOAD) -> InboundRequest:
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": signature,
    }
    return InboundRequest(method="POST", url="", headers=headers, body=body)


def test_it_accepts_the_specification_vector(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: TIMESTAMP)

    StandardWebhooksProvider().verify(_vector(), [SECRET])


def test_it_accepts_the_vector_among_several_signatures(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: TIMESTAMP)
    header = f"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc {SIGNATURE}"

    StandardWebhooksProvider().verify(_vector(header), [SECRET])


@pytest.mark.parametrize("offset", [-301, 301])
def test_it_refuses_the_vector_outside_five_minutes(monkeypatch, offset):
    monkeypatch.setattr(base, "clock", lambda: TIMESTAMP + offset)

    with pytest.raises(AuthError):
        StandardWebhooksProvider().verify(_vector(), [SECRET])


def test_it_refuses_the_vector_with_a_changed_body(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: TIMESTAMP)

    with pytest.raises(AuthError):
        StandardWebhooksProvider().verify(_vector(body=b'{"test": 2432232315}'), [SECRET])


def test_a_delivered_report_lands_delivered(deliver):
    response = deliver("standard_webhooks", request("standard_webhooks", "delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(provider="standard_webhooks", message_id="sw-7001")
    assert (message.status, message.provider_status, message.operator) == (
        "delivered",
        "delivered",
        "JIO",
    )


def test_a_failed_report_keeps_its_error_code(deliver):
    deliver("standard_webhooks", request("standard_webhooks", "failed.json"))

    message = Message.objects.get(message_id="sw-7002")
    assert (message.status, message.provider_status, message.error_code) == (
        "failed",
        "failed",
        "E401",
    )


def test_a_batch_with_a_bad_item_applies_the_others(deliver):
    deliver("standard_webhooks", request("standard_webhooks", "batch_with_bad_item.json"))

    assert sorted(Message.objects.values_list("message_id", "status")) == [
        ("sw-7003", "delivered"),
        ("sw-7004", "expired"),
    ]
    assert "data[1]" in InboundEvent.objects.get().error
