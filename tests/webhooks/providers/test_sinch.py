"""Sinch recipient and batch delivery reports, HMAC-signed with nonce and timestamp."""

import time
from dataclasses import replace

import pytest

from deliveries.models import Message

from .signers import key_for, request, sign

pytestmark = pytest.mark.django_db


def test_it_handles_a_delivered_recipient_report(deliver):
    response = deliver("sinch", request("sinch", "recipient_delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(provider="sinch", message_id="01FC66621VHDBN119Z8Y0S8YFQ")
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "Delivered",
        "",
    )
    assert (message.to_raw, message.client_ref) == ("46701234567", "order-4001")


def test_it_handles_a_failed_recipient_report_with_code_402(deliver):
    deliver("sinch", request("sinch", "recipient_failed_402.json"))

    message = Message.objects.get(message_id="01FC66621VHDBN119Z8Y0S8YFR")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "Failed",
        "402",
    )


def test_a_full_batch_report_gives_each_recipient_its_status(deliver):
    deliver("sinch", request("sinch", "batch_full.json"))

    events = Message.objects.get(message_id="01FC66621VHDBN119Z8Y0S8YFS").events.all()
    assert sorted((e.status, e.provider_code) for e in events) == [
        ("delivered", "0"),
        ("expired", "406"),
    ]


def test_a_stale_signature_timestamp_is_refused(send, endpoint_for):
    endpoint_for("sinch")
    signed = sign("sinch", request("sinch", "recipient_delivered.json"), key_for("sinch"))
    stale = str(int(time.time()) - 600)
    headers = {**signed.headers, "x-sinch-webhook-signature-timestamp": stale}

    response = send(replace(signed, headers=headers))

    assert response.status_code == 401
