"""Exotel: SMS outcomes read from DetailedStatus, and call status callbacks as voice messages."""

import contextlib
from urllib.parse import parse_qsl

from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from webhooks.providers import InboundRequest, ParseError
from webhooks.providers.exotel import ExotelProvider

from ...helpers import examples
from .signers import Req, key_for, request, sign


def test_sent_to_the_handset_is_delivered_but_sent_to_the_operator_is_only_sent(send, endpoint_for):
    endpoint_for("exotel")
    for name in ("sms_delivered_to_handset.txt", "sms_delivered_to_operator.txt"):
        send(sign("exotel", request("exotel", name), key_for("exotel")))

    # Both say Status=sent: only DetailedStatus tells them apart.
    rows = Message.objects.order_by("message_id").values_list("status", "provider_status")
    assert list(rows) == [("delivered", "sent"), ("sent", "sent")]
    handset = Message.objects.get(message_id="0f477d60517e6e6a0f6d9a7e9af8630e")
    assert (handset.client_ref, handset.segments) == ("order-4711", 1)
    assert handset.delivered_at is not None
    assert handset.delivered_at.isoformat() == "2017-03-03T08:44:25+00:00"  # IST


def test_a_dlt_failure_is_rejected_with_its_detailed_code(deliver):
    deliver("exotel", request("exotel", "sms_failed_dlt_template_23185.txt"))

    message = Message.objects.get()
    assert (message.status, message.provider_status, message.error_code) == (
        "rejected",
        "failed",
        "23185",
    )
    assert message.error_message == "DLT_TEMPLATE_DOES_NOT_MATCH"
    meaning = error_code_meaning(provider="exotel", code="23185")
    assert meaning is not None and (meaning.category, meaning.permanent) == ("template", True)


def test_a_completed_call_is_an_answered_voice_message_with_its_talk_time(deliver):
    deliver("exotel", request("exotel", "voice_terminal_completed.json"))

    message = Message.objects.get()
    assert (message.status, message.channel, message.call_duration) == ("answered", "voice", 42)
    assert (message.client_ref, message.provider_status) == ("order-4711", "completed")


def test_a_busy_call_posted_as_multipart_form_data_lands_busy(send, endpoint_for):
    # multipart/form-data is what Exotel sends unless asked for JSON.
    endpoint_for("exotel")
    fields = dict(parse_qsl(request("exotel", "voice_busy.txt").body.decode()))
    req = Req("POST", "/webhooks/exotel/", encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT)

    response = send(sign("exotel", req, key_for("exotel")))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.status, message.channel, message.call_duration) == ("busy", "voice", 0)


def test_an_unanswered_call_lands_no_answer(deliver):
    deliver("exotel", request("exotel", "voice_no_answer.txt"))

    assert Message.objects.get().status == "no_answer"


@settings(max_examples=examples(80), deadline=None, derandomize=True)
@given(part=st.binary(max_size=200), boundary=st.sampled_from(["xx", "", 'é"; x', BOUNDARY]))
def test_a_garbled_multipart_body_is_at_worst_unparseable(part, boundary):
    body = b'--xx\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\n' + part + b"\r\n--xx--"
    request = InboundRequest(
        "POST", "", {"content-type": f"multipart/form-data; boundary={boundary}"}, body=body
    )

    with contextlib.suppress(ParseError):
        for report in ExotelProvider().reports(request):
            assert report.channel == "voice"
