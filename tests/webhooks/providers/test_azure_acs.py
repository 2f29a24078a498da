"""Azure Communication Services via Event Grid: the validation handshake and SMS reports."""

import json

from deliveries.models import Message
from webhooks.models import InboundEvent

from .signers import key_for, request, sign

SECRET = key_for("azure_acs")


def test_the_validation_handshake_is_answered_with_the_code_when_the_token_is_right(
    send, endpoint_for
):
    endpoint_for("azure_acs")

    response = send(sign("azure_acs", request("azure_acs", "subscription_validation.json"), SECRET))

    assert response.status_code == 200
    assert response.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.outcome) == (True, "orphan")
    stored = json.loads(bytes(event.body))[0]["data"]
    assert stored["validationUrl"] == "[redacted]"  # it would validate the subscription


def test_a_validation_handshake_without_the_token_is_refused(send, endpoint_for):
    endpoint_for("azure_acs")

    response = send(request("azure_acs", "subscription_validation.json"))

    assert response.status_code == 401
    assert b"512d38b6" not in response.content
    assert InboundEvent.objects.get().state == "rejected"


def test_a_delivery_report_lands_delivered_with_its_tag(deliver):
    response = deliver("azure_acs", request("azure_acs", "delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(provider="azure_acs")
    assert (message.status, message.provider_status, message.tag) == (
        "delivered",
        "Delivered",
        "Optional customer-tag set in the original message",
    )
    assert (message.to_raw, message.segments) == ("+15555555555", 1)


def test_a_failed_report_in_pascal_case_keeps_the_details(deliver):
    deliver("azure_acs", request("azure_acs", "failed.json"))

    message = Message.objects.get(provider="azure_acs")
    assert (message.status, message.error_message) == (
        "failed",
        "Message was not delivered to the recipient.",
    )


def test_an_inbound_sms_gives_no_report_and_its_text_is_not_stored(deliver):
    deliver("azure_acs", request("azure_acs", "sms_received.json"))

    assert not Message.objects.exists()
    assert b"Great to connect" not in bytes(InboundEvent.objects.get().body)
