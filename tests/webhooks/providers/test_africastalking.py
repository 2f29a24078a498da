"""Africa's Talking delivery reports: form POSTs authenticated by the token in the URL."""

from dataclasses import replace

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message

from .signers import key_for, request, sign


def test_success_is_delivered_on_the_named_network(deliver):
    response = deliver("africastalking", request("africastalking", "success.txt"))

    assert response.status_code == 200
    message = Message.objects.get(provider="africastalking")
    assert (message.message_id, message.status, message.provider_status) == (
        "ATXid_03cb5ecf11ce748794c0f9a85c276259",
        "delivered",
        "Success",
    )
    assert (message.to_raw, message.operator) == ("+254705336634", "Safaricom")


def test_buffered_then_success_ends_delivered_whatever_the_order(send, endpoint_for):
    endpoint_for("africastalking")
    success = request("africastalking", "success.txt")
    buffered_body = request("africastalking", "buffered.txt").body.replace(
        b"ATXid_5e2a0c1f77b94a3d8c2b6f0d1e9a4b71", b"ATXid_03cb5ecf11ce748794c0f9a85c276259"
    )
    for req in (success, replace(success, body=buffered_body)):
        send(sign("africastalking", req, key_for("africastalking")))

    message = Message.objects.get()
    assert message.status == "delivered"
    assert message.events.count() == 2


def test_a_failure_keeps_the_failure_reason_and_its_meaning(deliver):
    deliver("africastalking", request("africastalking", "failed_user_in_blacklist.txt"))

    message = Message.objects.get()
    assert (message.status, message.error_code, message.operator) == (
        "undelivered",
        "UserInBlackList",
        "MTN Uganda",
    )
    meaning = error_code_meaning(provider="africastalking", code="UserInBlackList")
    assert meaning is not None and (meaning.category, meaning.permanent) == ("consent", True)


def test_rejected_by_the_operator_is_rejected(deliver):
    deliver("africastalking", request("africastalking", "rejected_insufficient_credit.txt"))

    assert Message.objects.values_list("status", "error_code").get() == (
        "rejected",
        "InsufficientCredit",
    )
