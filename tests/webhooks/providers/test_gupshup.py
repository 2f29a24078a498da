"""Gupshup: WhatsApp message events and enterprise SMS reports on one token endpoint."""

import json

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from webhooks.models import InboundEvent

from .signers import JSON, Req, key_for, request, sign


def test_whatsapp_sent_delivered_and_read_land_on_the_gupshup_message_id(send, endpoint_for):
    endpoint_for("gupshup")
    for name in ("whatsapp_sent.json", "whatsapp_delivered.json", "whatsapp_read.json"):
        assert (
            send(sign("gupshup", request("gupshup", name), key_for("gupshup"))).status_code == 200
        )

    # The later events carry WhatsApp's id as `id`; the message is the one Gupshup's send
    # API named, the `gsId`.
    message = Message.objects.get(provider="gupshup")
    assert message.message_id == "ee4a68a0-1203-4c85-8dc3-49d0b3226a35"
    assert (message.status, message.channel) == ("read", "whatsapp")
    assert message.events.count() == 3
    assert message.read_at is not None and message.delivered_at is not None


def test_a_whatsapp_failure_keeps_gupshups_code_and_its_meaning(deliver):
    deliver("gupshup", request("gupshup", "whatsapp_failed_1008.json"))

    message = Message.objects.get(provider="gupshup")
    assert (message.status, message.error_code) == ("failed", "1008")
    assert message.error_message == "User is not Opted in and Inactive"
    meaning = error_code_meaning(provider="gupshup", code="1008")
    assert meaning is not None and meaning.permanent is True


def test_an_sms_report_by_get_with_the_token_in_the_url(deliver):
    response = deliver("gupshup", request("gupshup", "sms_dnd_fail_006.txt", method="GET"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="4011523960264704337-131207658711470222")
    assert (message.status, message.provider_status, message.error_code) == (
        "rejected",
        "FAILURE",
        "006",
    )
    assert (message.channel, message.sender, message.segments) == ("sms", "TESTIN", 1)
    meaning = error_code_meaning(provider="gupshup", code="006")
    assert meaning is not None and meaning.category == "dnd"


def test_a_posted_sms_batch_lands_every_report(deliver):
    deliver("gupshup", request("gupshup", "sms_batch.json"))

    statuses = dict(Message.objects.values_list("message_id", "status"))
    assert statuses == {
        "3562707498794989059-328736121207676738": "delivered",
        "3798318073013708082-252169030017029882": "undelivered",
    }


def test_a_batch_posted_as_a_response_form_field_is_read_too(send, endpoint_for):
    endpoint_for("gupshup")
    batch = request("gupshup", "sms_batch.json").body
    body = "response=" + json.dumps(json.loads(batch))
    req = Req("POST", "/webhooks/gupshup/", body.encode(), "application/x-www-form-urlencoded")

    send(sign("gupshup", req, key_for("gupshup")))

    assert Message.objects.count() == 2


def test_an_inbound_whatsapp_message_is_kept_but_is_no_report(send, endpoint_for):
    endpoint_for("gupshup")
    inbound = {"app": "DemoApp", "timestamp": 1580227766370, "version": 2, "type": "message"}
    req = Req("POST", "/webhooks/gupshup/", json.dumps(inbound).encode(), JSON)

    response = send(sign("gupshup", req, key_for("gupshup")))

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert InboundEvent.objects.get().outcome == "orphan"
