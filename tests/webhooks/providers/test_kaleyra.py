"""Kaleyra callback profiles: SMS and WhatsApp statuses, by POST (JSON) or GET (query)."""

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message

from .signers import key_for, request, sign


def test_whatsapp_delivered_then_read_ends_read(send, endpoint_for):
    endpoint_for("kaleyra")
    for name in ("whatsapp_delivered.json", "whatsapp_read.json"):
        send(sign("kaleyra", request("kaleyra", name), key_for("kaleyra")))

    message = Message.objects.get(provider="kaleyra")
    assert (message.message_id, message.status, message.channel) == (
        "c9e113f0-6fc2-4bd7-979c-ebdb2f600f38:0",
        "read",
        "whatsapp",
    )
    assert (message.client_ref, message.to_raw) == ("order-4711", "919812345678")


def test_a_whatsapp_failure_by_get_keeps_metas_code(deliver):
    response = deliver("kaleyra", request("kaleyra", "whatsapp_failed_131047.txt", method="GET"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.status, message.error_code, message.error_message) == (
        "failed",
        "131047",
        "Re-engagement message",
    )


def test_an_sms_kaleyra_would_not_send_is_rejected_with_its_trace(deliver):
    deliver("kaleyra", request("kaleyra", "sms_not_sent_dnd.json"))

    message = Message.objects.get()
    assert (message.channel, message.status, message.error_code, message.operator) == (
        "sms",
        "rejected",
        "DND-NUMB",
        "JIO",
    )
    meaning = error_code_meaning(provider="kaleyra", code="DND-NUMB")
    assert meaning is not None and meaning.category == "dnd"


def test_sms_times_without_a_zone_are_read_as_india_time(deliver):
    deliver("kaleyra", request("kaleyra", "sms_delivered.json"))

    message = Message.objects.get()
    assert message.status == "delivered"
    assert message.delivered_at is not None
    assert message.delivered_at.isoformat() == "2025-04-17T13:05:24+00:00"
