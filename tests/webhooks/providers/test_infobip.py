"""Infobip delivery reports: several per request, token or basic auth."""

import base64
from dataclasses import replace

from deliveries.models import Message
from webhooks.models import InboundEvent

from .signers import key_for, request


def test_every_result_of_the_documented_example_is_applied(deliver):
    response = deliver("infobip", request("infobip", "delivered.json"))

    assert response.status_code == 200
    rows = Message.objects.filter(provider="infobip").order_by("message_id")
    assert [(m.message_id, m.status, m.provider_status, m.error_code) for m in rows] == [
        ("12db39c3-7822-4e72-a3ec-c87442c0ffc5", "delivered", "DELIVERED_TO_HANDSET", ""),
        ("MESSAGE-ID-123-xyz", "delivered", "DELIVERED_TO_HANDSET", ""),
    ]
    assert rows.get(message_id="MESSAGE-ID-123-xyz").client_ref == "DLR callback data"
    assert InboundEvent.objects.get().report_count == 2


def test_an_undeliverable_result_keeps_the_error_id(deliver):
    deliver("infobip", request("infobip", "undeliverable_absent_subscriber.json"))

    message = Message.objects.get(message_id="MESSAGE-ID-124-abc")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "UNDELIVERABLE_NOT_DELIVERED",
        "27",
    )
    assert message.error_message == "Absent Subscriber"


def test_a_malformed_result_is_logged_and_the_others_still_land(deliver):
    response = deliver("infobip", request("infobip", "mixed_with_bad_item.json"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.message_id, message.status) == ("MESSAGE-ID-125-ok", "rejected")
    event = InboundEvent.objects.get()
    assert event.report_count == 1
    assert "results[1]" in event.error
    assert "results[2]" in event.error


def test_basic_auth_with_the_secret_as_password_is_accepted(send, endpoint_for):
    endpoint_for("infobip")
    credentials = base64.b64encode(f"infobip:{key_for('infobip')}".encode()).decode()
    req = replace(
        request("infobip", "delivered.json"), headers={"Authorization": f"Basic {credentials}"}
    )

    response = send(req)

    assert response.status_code == 200
    assert Message.objects.count() == 2
