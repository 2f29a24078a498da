"""WhatsApp Cloud API: the subscription check, signed status webhooks, user messages."""

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from webhooks.models import InboundEvent

from .signers import Req, key_for, request, sign

SECRET = key_for("whatsapp")


def _subscribe(token: str, mode: str = "subscribe") -> Req:
    query = f"hub.mode={mode}&hub.challenge=1158201444&hub.verify_token={token}"
    return Req("GET", f"/webhooks/whatsapp/?{query}")


def test_the_subscription_check_answers_the_challenge_and_is_logged(send, endpoint_for):
    endpoint_for("whatsapp")

    response = send(_subscribe(SECRET))

    assert (response.status_code, response.content) == (200, b"1158201444")
    assert response["Content-Type"].startswith("text/plain")
    event = InboundEvent.objects.get()
    assert (event.method, event.auth_ok, event.response_code) == ("GET", True, 200)
    assert (event.state, event.outcome, event.report_count) == ("done", "orphan", 0)
    assert SECRET not in event.query_string
    assert "hub.verify_token=%5Bredacted%5D" in event.query_string


def test_a_subscription_check_with_a_wrong_verify_token_is_refused_with_403(send, endpoint_for):
    endpoint_for("whatsapp")

    response = send(_subscribe("not-our-token"))

    assert response.status_code == 403
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.state, event.response_code) == (False, "rejected", 403)
    assert "not-our-token" not in event.query_string


def test_a_get_that_is_not_a_subscription_check_is_refused(send, endpoint_for):
    endpoint_for("whatsapp")

    assert send(_subscribe(SECRET, mode="unsubscribe")).status_code == 403
    assert send(Req("GET", "/webhooks/whatsapp/")).status_code == 403


def test_a_delivered_status_lands_on_the_whatsapp_channel(deliver):
    response = deliver("whatsapp", request("whatsapp", "delivered.json"))

    assert response.status_code == 200
    message = Message.objects.get(provider="whatsapp")
    assert (message.status, message.channel, message.client_ref) == (
        "delivered",
        "whatsapp",
        "order-7001",
    )
    assert (message.to_raw, message.sender) == ("16505551234", "15550783881")
    assert message.delivered_at is not None
    assert message.category == "utility"  # pricing.category: what a rate card may price by


def test_read_then_a_late_sent_ends_read(send, endpoint_for):
    endpoint_for("whatsapp")
    send(sign("whatsapp", request("whatsapp", "read.json"), SECRET))
    send(sign("whatsapp", request("whatsapp", "sent.json"), SECRET))

    message = Message.objects.get(provider="whatsapp")
    assert message.status == "read"
    assert message.events.count() == 2


def test_a_failure_keeps_metas_error_code_and_the_catalog_explains_it(deliver):
    deliver("whatsapp", request("whatsapp", "failed_131047.json"))

    message = Message.objects.get(provider="whatsapp")
    assert (message.status, message.error_code) == ("failed", "131047")
    meaning = error_code_meaning(provider="whatsapp", code=message.error_code)
    assert meaning is not None and meaning.permanent is False


def test_a_user_message_is_authentic_but_gives_no_report(deliver):
    response = deliver("whatsapp", request("whatsapp", "user_message.json"))

    assert response.status_code == 200
    assert not Message.objects.exists()
    event = InboundEvent.objects.get()
    assert (event.state, event.outcome) == ("done", "orphan")
    assert b"another color" not in bytes(event.body)  # message text is never stored
