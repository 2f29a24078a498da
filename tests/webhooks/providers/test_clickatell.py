"""Clickatell: one endpoint for the legacy, Platform and One API callbacks, whose numbers differ."""

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message

from .signers import key_for, request, sign


def _statuses(send, *names: str) -> dict[str, str]:
    for name in names:
        method = "POST" if name.endswith(".json") else "GET"
        send(sign("clickatell", request("clickatell", name, method=method), key_for("clickatell")))
    return dict(Message.objects.values_list("client_ref", "status"))


def test_code_4_is_delivered_for_legacy_and_platform_but_only_sent_for_the_one_api(
    send, endpoint_for
):
    endpoint_for("clickatell")

    statuses = _statuses(
        send,
        "legacy_received_by_recipient_004.txt",
        "platform_received_by_recipient.json",
        "one_api_sent_to_supplier.json",
    )

    assert statuses == {"order-4711": "delivered", "order-4721": "delivered", "order-4731": "sent"}


def test_code_5_is_a_legacy_error_but_one_api_delivery(send, endpoint_for):
    endpoint_for("clickatell")

    statuses = _statuses(send, "legacy_error_with_message_005.txt", "one_api_device_ack.json")

    assert statuses == {"order-4713": "failed", "order-4732": "delivered"}
    legacy = Message.objects.get(client_ref="order-4713")
    meaning = error_code_meaning(provider="clickatell", code=legacy.error_code)
    assert legacy.error_code == "005" and meaning is not None and meaning.permanent is True


def test_a_legacy_get_callback_keeps_its_fields(deliver):
    response = deliver("clickatell", request("clickatell", "legacy_error_delivering_007.txt"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.message_id, message.status, message.error_code) == (
        "a7d54d2a3c8b2e1f9b0c4d6e8f1a2b3c",
        "undelivered",
        "007",
    )
    assert (message.to_raw, message.sender) == ("279995631565", "27833001171")


def test_a_one_api_whatsapp_failure_is_named_by_its_status(deliver):
    deliver(
        "clickatell", request("clickatell", "one_api_whatsapp_delivery_failure.json", method="POST")
    )

    message = Message.objects.get()
    assert (message.channel, message.status, message.error_code) == (
        "whatsapp",
        "undelivered",
        "DELIVERY_FAILURE",
    )
