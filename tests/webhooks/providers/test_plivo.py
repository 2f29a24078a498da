"""Plivo message status callbacks: V3 signature (with nonce) end to end, V2 vector."""

import pytest

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from webhooks.providers import AuthError, InboundRequest
from webhooks.providers.plivo import PlivoProvider

from .signers import request


def _v2(signature: str) -> InboundRequest:
    headers = {"x-plivo-signature-v2": signature, "x-plivo-signature-v2-nonce": "12345"}
    return InboundRequest(method="POST", url="https://answer.url", headers=headers)


def test_it_accepts_the_sdk_v2_vector():
    PlivoProvider().verify(_v2("ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc="), ["my_auth_token"])


def test_it_refuses_the_sdk_v2_vector_with_another_token():
    with pytest.raises(AuthError):
        PlivoProvider().verify(
            _v2("ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc="), ["my_auth_tokens"]
        )


def test_it_handles_plivo_delivered_status(deliver):
    response = deliver("plivo", request("plivo", "delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="5b40a428-bfc7-4daf-9d06-726c558bf3b8")
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert (message.to, message.operator) == ("+919876543210", "40445")


def test_it_handles_plivo_undelivered_status_with_error_300(deliver):
    response = deliver("plivo", request("plivo", "undelivered_300.txt"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="6c51b539-c0d8-4eb0-ae17-837d669cf4c9")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "undelivered",
        "300",
    )


def test_a_signature_for_another_url_is_refused(send, endpoint_for):
    from .signers import key_for, sign

    endpoint_for("plivo")
    signed = sign("plivo", request("plivo", "delivered.txt"), key_for("plivo"))

    response = send(signed.with_query(extra="1"))

    assert response.status_code == 401


def test_one_of_several_comma_separated_v3_signatures_is_enough(send, endpoint_for):
    from dataclasses import replace

    from .signers import key_for, sign

    endpoint_for("plivo")
    signed = sign("plivo", request("plivo", "delivered.txt"), key_for("plivo"))
    both = f"bm90LXRoaXMtb25l,{signed.headers['X-Plivo-Signature-V3']}"

    response = send(replace(signed, headers={**signed.headers, "X-Plivo-Signature-V3": both}))

    assert response.status_code == 200


def test_a_voice_hangup_on_the_plivo_endpoint_becomes_an_answered_call(deliver):
    response = deliver("plivo", request("plivo", "voice_completed.txt"))

    assert response.status_code == 200
    call = Message.objects.get(message_id="55dc8f0a-b5c6-4d3e-9a1b-2c3d4e5f6a7b")
    assert (call.status, call.channel, call.call_duration) == ("answered", "voice", 47)


def test_a_failed_voice_call_keeps_plivos_hangup_cause_and_the_catalog_explains_it(deliver):
    deliver("plivo", request("plivo", "voice_failed_2010.txt"))

    call = Message.objects.get(provider="plivo")
    assert (call.status, call.error_code, call.error_message) == (
        "failed",
        "2010",
        "Destination Out Of Service",
    )
    meaning = error_code_meaning(provider="plivo", code=call.error_code)
    assert meaning is not None and meaning.category == "invalid_number"
