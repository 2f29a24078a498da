"""Bandwidth messaging callbacks: a JSON array of events, authenticated by basic auth."""

import base64
from dataclasses import replace

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message

from .signers import key_for, request, sign


def test_a_delivered_callback_with_bandwidths_basic_auth_lands_delivered(deliver):
    response = deliver("bandwidth", request("bandwidth", "message_delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(provider="bandwidth")
    assert (message.message_id, message.status, message.channel) == (
        "14762070468292kw2fuqty55yp2b2",
        "delivered",
        "sms",
    )
    assert (message.to_raw, message.sender, message.segments) == (
        "+12345678902",
        "+12345678901",
        1,
    )


def test_message_failed_keeps_the_error_code_and_its_meaning(deliver):
    deliver("bandwidth", request("bandwidth", "message_failed_4432.json"))

    message = Message.objects.get()
    assert (message.status, message.error_code, message.error_message) == (
        "rejected",
        "4432",
        "forbidden to country",
    )
    meaning = error_code_meaning(provider="bandwidth", code="4432")
    assert meaning is not None and meaning.permanent is True


def test_an_mms_only_handed_to_the_carrier_is_sent_not_delivered(deliver):
    deliver("bandwidth", request("bandwidth", "mms_delivered_to_carrier.json"))

    message = Message.objects.get()
    assert (message.status, message.channel) == ("sent", "mms")


def test_a_receipt_timeout_is_recorded_without_claiming_a_failure(send, endpoint_for):
    endpoint_for("bandwidth")
    for name in ("message_sending.json", "message_failed_9902.json"):
        req = request("bandwidth", name)
        send(sign("bandwidth", req, key_for("bandwidth")))

    timed_out = Message.objects.get(message_id="1585321273457jqsa33wkfp5uwppd")
    assert (timed_out.status, timed_out.error_code) == ("unknown", "9902")
    assert Message.objects.get(message_id="1593110555875xo7watq5px6rbe5d").status == "submitted"


def test_basic_auth_with_another_password_is_refused(send, endpoint_for):
    endpoint_for("bandwidth")
    wrong = base64.b64encode(b"dlrdash:not-the-secret").decode()
    req = request("bandwidth", "message_delivered.json")

    response = send(replace(req, headers={"Authorization": f"Basic {wrong}"}))

    assert response.status_code == 401
    assert not Message.objects.exists()
