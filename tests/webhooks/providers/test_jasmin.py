"""Jasmin HTTP DLRs (level 1 and 2), answered exactly `ACK/Jasmin`."""

from deliveries.models import Message

from .signers import request


def test_a_level_2_delivered_receipt_is_acknowledged_the_jasmin_way(deliver):
    response = deliver("jasmin", request("jasmin", "level2_delivered.txt"))

    assert response.status_code == 200
    assert response.content == b"ACK/Jasmin"
    message = Message.objects.get(
        provider="jasmin", message_id="1913d6b6-54b8-4f54-8e0c-5e0a2b1a9c01"
    )
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "DELIVRD",
        "",
    )


def test_a_level_2_undelivered_receipt_keeps_err(deliver):
    response = deliver("jasmin", request("jasmin", "level2_undelivered.txt"))

    assert response.content == b"ACK/Jasmin"
    message = Message.objects.get(message_id="2a24e7c7-65c9-4a65-9f1d-6f1b3c2bad02")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "UNDELIV",
        "069",
    )


def test_a_level_1_esme_rok_lands_submitted(deliver):
    deliver("jasmin", request("jasmin", "level1_accepted.txt"))

    message = Message.objects.get()
    assert (message.status, message.provider_status, message.provider_code) == (
        "submitted",
        "ESME_ROK",
        "1",
    )


def test_a_get_dlr_is_accepted_too(deliver):
    response = deliver("jasmin", request("jasmin", "level2_delivered.txt", method="GET"))

    assert response.content == b"ACK/Jasmin"
    assert Message.objects.get().status == "delivered"
