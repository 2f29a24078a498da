"""Vonage SMS API receipts (GET and POST-JSON, signed `sig`) and Messages API statuses (JWT)."""

import hashlib
import time
from dataclasses import replace

import jwt
import pytest

from deliveries.models import Message
from webhooks.providers import AuthError, InboundRequest, base
from webhooks.providers.vonage import VonageProvider

from .signers import key_for, request, sign


def test_it_accepts_the_sdk_md5hash_signature_vector(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: 1461605396)
    query = {"a": ["1"], "b": ["2"], "timestamp": ["1461605396"]}
    query["sig"] = ["6af838ef94998832dbfc29020b564830"]
    req = InboundRequest(method="GET", url="", headers={}, query=query)

    VonageProvider().verify(req, ["secret"])


def test_it_refuses_a_signed_receipt_older_than_five_minutes(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: 1461605396 + 301)
    query = {"a": ["1"], "b": ["2"], "timestamp": ["1461605396"]}
    query["sig"] = ["6af838ef94998832dbfc29020b564830"]
    req = InboundRequest(method="GET", url="", headers={}, query=query)

    with pytest.raises(AuthError):
        VonageProvider().verify(req, ["secret"])


def test_it_handles_a_delivered_receipt_sent_by_get(deliver):
    response = deliver("vonage", request("vonage", "delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(provider="vonage", message_id="0A0000001234567B")
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert (message.to_raw, message.operator, message.client_ref) == (
        "447700900000",
        "23410",
        "order-1001",
    )


def test_it_handles_an_expired_receipt_sent_as_post_json(deliver):
    req = request("vonage", "failed_expired.json", method="POST")

    response = deliver("vonage", req)

    assert response.status_code == 200
    message = Message.objects.get(message_id="0A0000001234567C")
    assert (message.status, message.provider_status, message.error_code) == (
        "expired",
        "expired",
        "27",
    )


def test_messages_api_delivered_status_lands_delivered(deliver):
    response = deliver("vonage_messages", request("vonage_messages", "delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab")
    assert (message.status, message.provider_status, message.client_ref) == (
        "delivered",
        "delivered",
        "order-2001",
    )


def test_messages_api_rejection_keeps_the_error_title_as_code(deliver):
    deliver("vonage_messages", request("vonage_messages", "rejected_1020.json"))

    message = Message.objects.get(message_id="aaaaaaaa-bbbb-4ccc-8ddd-0123456789ac")
    assert (message.status, message.provider_status, message.error_code) == (
        "rejected",
        "rejected",
        "1020",
    )


def test_messages_api_whatsapp_read_lands_read(deliver):
    deliver("vonage_messages", request("vonage_messages", "whatsapp_read.json"))

    message = Message.objects.get(message_id="aaaaaaaa-bbbb-4ccc-8ddd-0123456789ad")
    assert (message.status, message.channel) == ("read", "whatsapp")


def test_messages_api_jwt_for_another_body_is_refused(send, endpoint_for):
    endpoint_for("vonage_messages")
    signed = sign(
        "vonage_messages", request("vonage_messages", "delivered.json"), key_for("vonage_messages")
    )
    other = request("vonage_messages", "rejected_1020.json")

    response = send(replace(signed, body=other.body))

    assert response.status_code == 401
    assert not Message.objects.exists()


def test_messages_api_jwt_issued_long_ago_is_refused(send, endpoint_for):
    endpoint_for("vonage_messages")
    req = request("vonage_messages", "delivered.json")
    claims = {"iat": int(time.time()) - 3600, "payload_hash": hashlib.sha256(req.body).hexdigest()}
    token = jwt.encode(claims, key_for("vonage_messages"), algorithm="HS256")

    response = send(replace(req, headers={"Authorization": f"Bearer {token}"}))

    assert response.status_code == 401


@pytest.mark.parametrize("digest", ["md5", "sha1", "sha256", "sha512"])
def test_every_hmac_signature_method_is_accepted(monkeypatch, digest):
    import hmac

    monkeypatch.setattr(base, "clock", lambda: 1461605396)
    signed = "&a=1&b=2&timestamp=1461605396"
    sig = hmac.new(b"secret", signed.encode(), digest).hexdigest().upper()
    query = {"a": ["1"], "b": ["2"], "timestamp": ["1461605396"], "sig": [sig]}

    VonageProvider().verify(
        InboundRequest(method="GET", url="", headers={}, query=query), ["secret"]
    )


def test_a_repeated_parameter_is_refused(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: 1461605396)
    query = {"a": ["1", "9"], "b": ["2"], "timestamp": ["1461605396"]}
    query["sig"] = ["6af838ef94998832dbfc29020b564830"]

    with pytest.raises(AuthError):
        VonageProvider().verify(
            InboundRequest(method="GET", url="", headers={}, query=query), ["secret"]
        )
