"""Kannel dlr-url GETs: type 1/2/16 with the SMSC reply, token auth."""

from dataclasses import replace

from deliveries.models import Message

from .signers import request


def test_a_type_1_report_with_a_delivrd_receipt_lands_delivered(deliver):
    response = deliver("kannel", request("kannel", "delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(provider="kannel", message_id="order-6001")
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "DELIVRD",
        "",
    )
    assert message.provider_code == "1"
    assert message.delivered_at is not None


def test_a_type_2_report_keeps_the_receipt_error(deliver):
    deliver("kannel", request("kannel", "undelivered.txt"))

    message = Message.objects.get(message_id="order-6002")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "UNDELIV",
        "001",
    )


def test_a_type_16_nack_lands_rejected_with_the_smpp_error(deliver):
    deliver("kannel", request("kannel", "nack.txt"))

    message = Message.objects.get(message_id="order-6003")
    assert (message.status, message.provider_status, message.error_code) == (
        "rejected",
        "NACK",
        "0x0000000b",
    )


def test_kannel_may_not_post(send, endpoint_for):
    endpoint_for("kannel")

    response = send(request("kannel", "delivered.txt", method="POST").with_query(token="x"))

    assert response.status_code == 405


def test_without_an_id_parameter_the_receipt_id_is_the_message_id(send, endpoint_for):
    from .signers import key_for

    endpoint_for("kannel")
    req = request("kannel", "undelivered.txt")
    path = req.path.replace("id=order-6002&", "").replace("&fid=52A3F1B7", "")

    response = send(replace(req, path=path).with_query(token=key_for("kannel")))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.message_id, message.status) == ("52A3F1B7", "undelivered")
