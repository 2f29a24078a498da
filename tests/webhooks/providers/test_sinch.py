"""Sinch recipient and batch delivery reports, HMAC-signed with nonce and timestamp."""

import base64
import time
from dataclasses import replace

import pytest

from deliveries.models import Message
from webhooks.providers import AuthError, InboundRequest, base
from webhooks.providers.sinch import SinchProvider

from .signers import key_for, request, sign


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


# sinch-sdk-dotnet, Conversation/WebhooksTests.ValidateRequest
SDK_BODY = (
    b'{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":'
    b'"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":'
    b'{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS",'
    b'"identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":'
    b'"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},'
    b'"message_metadata":""}'
)
SDK_HEADERS = {
    "x-sinch-webhook-signature-nonce": "01FJA8B4A7BM43YGWSG9GBV067",
    "x-sinch-webhook-signature-timestamp": "1634579353",
    "x-sinch-webhook-signature": "6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=",
}


def test_it_accepts_the_sdk_signature_vector(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: 1634579353)
    req = InboundRequest(method="POST", url="", headers=SDK_HEADERS, body=SDK_BODY)

    SinchProvider().verify(req, ["foo_secret1234"])


def test_it_refuses_the_sdk_vector_once_the_timestamp_is_stale(monkeypatch):
    monkeypatch.setattr(base, "clock", lambda: 1634579353 + 301)
    req = InboundRequest(method="POST", url="", headers=SDK_HEADERS, body=SDK_BODY)

    with pytest.raises(AuthError):
        SinchProvider().verify(req, ["foo_secret1234"])


def test_an_unsigned_sms_api_callback_with_basic_auth_is_accepted(send, endpoint_for):
    endpoint_for("sinch")
    credentials = base64.b64encode(f"sinch:{key_for('sinch')}".encode()).decode()
    req = request("sinch", "recipient_delivered.json")

    response = send(replace(req, headers={"Authorization": f"Basic {credentials}"}))

    assert response.status_code == 200
    assert Message.objects.get().status == "delivered"
