"""Telnyx message.finalized webhooks, signed with Ed25519 over `timestamp|body`."""

import base64
import time
from dataclasses import replace

from deliveries.models import Message

from .signatures import _ed25519
from .signers import key_for, request, sign


def test_it_handles_telnyx_delivered(deliver):
    response = deliver("telnyx", request("telnyx", "delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(
        provider="telnyx", message_id="ac012cbf-5e09-46af-a69a-7c0e2f2b8f7d"
    )
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert (message.to_raw, message.operator) == ("+12125559001", "T-MOBILE USA, INC.")


def test_it_handles_telnyx_delivery_failed_with_error_40008(deliver):
    deliver("telnyx", request("telnyx", "delivery_failed_40008.json"))

    message = Message.objects.get(message_id="bd123cbf-5e09-46af-a69a-7c0e2f2b8f7e")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "delivery_failed",
        "40008",
    )


def test_a_signature_older_than_300_seconds_is_refused(send, endpoint_for):
    endpoint_for("telnyx")
    req = request("telnyx", "delivered.json")
    old = str(int(time.time()) - 301)
    signature = _ed25519(key_for("telnyx")).sign(old.encode() + b"|" + req.body)
    headers = {
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": old,
    }

    response = send(replace(req, headers=headers))

    assert response.status_code == 401
    assert not Message.objects.exists()


def test_a_timestamp_changed_after_signing_is_refused(send, endpoint_for):
    endpoint_for("telnyx")
    signed = sign("telnyx", request("telnyx", "delivered.json"), key_for("telnyx"))
    headers = {**signed.headers, "telnyx-timestamp": str(int(time.time()) + 1)}

    response = send(replace(signed, headers=headers))

    assert response.status_code == 401
