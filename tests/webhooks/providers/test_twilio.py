"""Twilio status callbacks end to end, and the official request-validator vectors."""

import pytest

from deliveries.models import Message
from webhooks.providers import AuthError, InboundRequest
from webhooks.providers.twilio import TwilioProvider

from .signers import FORM, JSON, request

# twilio-python, tests/unit/test_request_validator.py
SDK_TOKEN = "12345"
SDK_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
SDK_PARAMS = (
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
    "&From=%2B14158675309&To=%2B18005551212"
)
SDK_JSON_BODY = b'{"property": "value", "boolean": true}'
SDK_JSON_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


def _sdk_request(url: str, body: bytes, content_type: str, signature: str) -> InboundRequest:
    headers = {"content-type": content_type, "x-twilio-signature": signature}
    return InboundRequest(method="POST", url=url, headers=headers, body=body)


def test_it_accepts_the_sdk_form_vector():
    req = _sdk_request(SDK_URL, SDK_PARAMS.encode(), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")

    TwilioProvider().verify(req, [SDK_TOKEN])


def test_it_accepts_the_sdk_vector_with_an_explicit_default_port():
    url = SDK_URL.replace("mycompany.com", "mycompany.com:443")
    req = _sdk_request(url, SDK_PARAMS.encode(), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")

    TwilioProvider().verify(req, [SDK_TOKEN])


def test_it_accepts_the_sdk_json_vector_signed_with_body_sha256():
    url = f"{SDK_URL}&bodySHA256={SDK_JSON_HASH}"
    req = _sdk_request(url, SDK_JSON_BODY, JSON, "a9nBmqA0ju/hNViExpshrM61xv4=")

    TwilioProvider().verify(req, [SDK_TOKEN])


def test_it_refuses_the_sdk_vector_when_a_field_changes():
    body = SDK_PARAMS.replace("Digits=1234", "Digits=1235").encode()
    req = _sdk_request(SDK_URL, body, FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")

    with pytest.raises(AuthError):
        TwilioProvider().verify(req, [SDK_TOKEN])


def test_it_refuses_a_json_body_that_does_not_match_body_sha256():
    url = f"{SDK_URL}&bodySHA256={SDK_JSON_HASH}"
    req = _sdk_request(url, SDK_JSON_BODY + b" ", JSON, "a9nBmqA0ju/hNViExpshrM61xv4=")

    with pytest.raises(AuthError):
        TwilioProvider().verify(req, [SDK_TOKEN])


def test_it_handles_twilio_delivered_status(deliver):
    response = deliver("twilio", request("twilio", "delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(
        provider="twilio", message_id="SM1f0e8ae6ade43cb3c0ce4525424e404f"
    )
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert message.to_raw == "+15558675310"
    assert message.delivered_at is not None


def test_it_handles_twilio_undelivered_status_with_error_30003(deliver):
    response = deliver("twilio", request("twilio", "undelivered_30003.txt"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="SM2e2cb8f4b2a7d1c3b5e9a0f1d2c3b4a5")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "undelivered",
        "30003",
    )


def test_it_reads_a_whatsapp_read_receipt_as_read_on_the_whatsapp_channel(deliver):
    deliver("twilio", request("twilio", "whatsapp_read.txt"))

    message = Message.objects.get(message_id="SM3a4b5c6d7e8f90112233445566778899")
    assert (message.status, message.channel, message.to_raw) == ("read", "whatsapp", "+15558675312")


def test_a_completed_voice_call_on_the_twilio_endpoint_is_answered_with_its_duration(deliver):
    response = deliver("twilio", request("twilio", "voice_completed.txt"))

    assert response.status_code == 200
    call = Message.objects.get(message_id="CA5f2b9c7e1d0a4b3c8e6f1a2b3c4d5e6f")
    assert (call.status, call.channel, call.call_duration) == ("answered", "voice", 42)


@pytest.mark.parametrize(
    ("fixture", "status"), [("voice_busy.txt", "busy"), ("voice_no_answer.txt", "no_answer")]
)
def test_a_voice_call_that_did_not_connect_has_no_duration(deliver, fixture, status):
    deliver("twilio", request("twilio", fixture))

    call = Message.objects.get(provider="twilio")
    assert (call.status, call.channel, call.call_duration) == (status, "voice", None)
