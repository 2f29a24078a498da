"""Google RBM: the console's verification request, signed agent events, typing events."""

import base64
import json

from deliveries.models import Message
from webhooks.models import InboundEvent

from .signers import JSON, Req, key_for, request, sign

SECRET = key_for("rbm")


def _verification(client_token: str) -> Req:
    body = json.dumps({"clientToken": client_token, "secret": "1234567890"}).encode()
    return Req("POST", "/webhooks/rbm/", body, JSON)


def test_the_verification_request_is_answered_with_the_secret(send, endpoint_for):
    endpoint_for("rbm")

    response = send(_verification(SECRET))

    assert (response.status_code, response.content) == (200, b"1234567890")
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.response_code, event.outcome) == (True, 200, "orphan")
    stored = json.loads(bytes(event.body))
    assert stored == {"clientToken": "[redacted]", "secret": "[redacted]"}


def test_a_verification_with_another_client_token_is_refused_with_403(send, endpoint_for):
    endpoint_for("rbm")

    response = send(_verification("SJENCPGJESMGUFPY"))

    assert response.status_code == 403
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.state, bytes(event.body)) == (False, "rejected", b"")


def test_delivered_then_read_lands_read_on_the_rcs_channel(send, endpoint_for):
    endpoint_for("rbm")

    send(sign("rbm", request("rbm", "delivered.json"), SECRET))
    send(sign("rbm", request("rbm", "read.json"), SECRET))

    message = Message.objects.get(provider="rbm")
    assert (message.message_id, message.status, message.channel) == (
        "MxP3tNqK5vSy6GGTd4mCfqXQ",
        "read",
        "rcs",
    )
    assert message.to_raw == "+12223334444"
    assert message.delivered_at is not None and message.read_at is not None


def test_a_typing_event_is_authentic_but_gives_no_report(deliver):
    response = deliver("rbm", request("rbm", "is_typing.json"))

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert InboundEvent.objects.get().outcome == "orphan"


def test_an_expired_and_revoked_message_ends_expired(deliver):
    deliver("rbm", request("rbm", "expired_revoked.json"))

    assert Message.objects.get(provider="rbm").status == "expired"


def test_a_users_message_gives_no_report_and_its_text_is_not_stored(deliver):
    deliver("rbm", request("rbm", "user_message.json"))

    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.outcome) == (True, "orphan")
    stored = json.loads(base64.b64decode(json.loads(bytes(event.body))["message"]["data"]))
    assert stored["text"] == "[redacted: 13 chars]"
    assert stored["messageId"] == "MxVt7pQx3rR8uTfK2n0Lm4cA"
