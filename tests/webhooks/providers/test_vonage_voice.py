"""Vonage Voice API call events: the call's outcome and duration, signed like Messages."""

from dataclasses import replace

from deliveries.models import Message

from .signers import key_for, request, sign

SECRET = key_for("vonage_voice")
CALL = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"


def _send_all(send, *names: str) -> None:
    for name in names:
        assert send(sign("vonage_voice", request("vonage_voice", name), SECRET)).status_code == 200


def test_a_completed_call_is_answered_with_its_duration(send, endpoint_for):
    endpoint_for("vonage_voice")

    _send_all(send, "started.json", "answered.json", "completed.json")

    call = Message.objects.get(provider="vonage_voice", message_id=CALL)
    assert (call.status, call.channel, call.call_duration) == ("answered", "voice", 60)
    assert call.events.count() == 3


def test_the_completed_event_alone_in_any_order_gives_the_same_call(send, endpoint_for):
    endpoint_for("vonage_voice")

    _send_all(send, "completed.json", "started.json")

    call = Message.objects.get(message_id=CALL)
    assert (call.status, call.call_duration) == ("answered", 60)


def test_busy_and_ring_timeout_are_failures_with_vonages_detail(send, endpoint_for):
    endpoint_for("vonage_voice")

    _send_all(send, "busy.json", "unanswered_timeout.json")

    outcomes = dict(Message.objects.values_list("status", "error_code"))
    assert outcomes == {"busy": "busy", "no_answer": "ring_timeout"}


def test_a_completed_event_without_duration_does_not_make_a_busy_call_answered(send, endpoint_for):
    endpoint_for("vonage_voice")
    _send_all(send, "busy.json")
    busy = request("vonage_voice", "busy.json")
    completed = busy.body.replace(b'"status": "busy"', b'"status": "completed"')
    completed = completed.replace(b"12:03:00", b"12:03:01")

    send(sign("vonage_voice", replace(busy, body=completed), SECRET))

    assert Message.objects.get().status == "busy"


def test_a_recording_event_gives_no_report(deliver):
    assert deliver("vonage_voice", request("vonage_voice", "recording.json")).status_code == 200
    assert not Message.objects.exists()
