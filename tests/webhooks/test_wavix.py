"""Wavix: unsigned reports authenticated by the endpoint secret (basic auth or token)."""

import base64

import pytest

from deliveries.models import Message

from ..helpers import WAVIX_SECRET, fixture_bytes

pytestmark = pytest.mark.django_db

SEED_ID = "62845007-931a-4c3c-a581-6bdeffec75dc"


@pytest.mark.parametrize(
    ("fixture", "status", "error_code", "error_message"),
    [
        ("sent.json", "sent", "", ""),
        ("delivered.json", "delivered", "", ""),
        ("undelivered.json", "undelivered", "", "Handset unreachable"),
        ("rejected.json", "rejected", "30007", "Message filtered by carrier"),
        ("expired.json", "expired", "", "Validity period expired"),
    ],
)
def test_it_maps_each_documented_status(post_wavix, fixture, status, error_code, error_message):
    assert post_wavix(fixture_bytes("wavix", fixture)).status_code == 200

    message = Message.objects.get(provider="wavix", message_id=SEED_ID)
    assert (message.status, message.provider_status) == (status, status)
    assert (message.error_code, message.error_message) == (error_code, error_message)
    assert (message.tag, message.segments, message.sender) == ("Message tag", 1, "SenderID")


def test_the_interim_then_final_report_ends_delivered_with_both_in_the_history(post_wavix):
    post_wavix(fixture_bytes("wavix", "sent.json"))
    post_wavix(fixture_bytes("wavix", "delivered.json"))

    message = Message.objects.get()
    assert message.status == "delivered"
    assert message.sent_at and message.sent_at.isoformat() == "2025-03-21T08:09:02+00:00"
    assert message.delivered_at
    assert message.delivered_at.isoformat() == "2025-03-21T08:09:05+00:00"
    assert list(message.events.values_list("status", "outcome")) == [
        ("sent", "applied"),
        ("delivered", "applied"),
    ]


def test_mms_reports_are_kept_as_mms(post_wavix):
    post_wavix(fixture_bytes("wavix", "mms_delivered.json"))

    assert Message.objects.get().channel == "mms"


def test_the_secret_works_as_the_basic_auth_password(client, wavix_endpoint):
    credentials = base64.b64encode(f"wavix:{WAVIX_SECRET}".encode()).decode()

    response = client.post(
        "/webhooks/wavix/",
        data=fixture_bytes("wavix", "sent.json"),
        content_type="application/json",
        headers={"Authorization": f"Basic {credentials}"},
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "authorization"),
    [
        ("", ""),
        ("?token=wrong", ""),
        ("?token=", ""),
        ("", "Basic " + base64.b64encode(b"wavix:wrong").decode()),
        ("", "Basic !!!not-base64!!!"),
        ("", "Bearer " + WAVIX_SECRET),
        ("?token=" + "é" * 40, ""),
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, wavix_endpoint, query, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.post(
        f"/webhooks/wavix/{query}",
        data=fixture_bytes("wavix", "sent.json"),
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 401
    assert not Message.objects.exists()


def test_the_token_never_reaches_the_log(post_wavix):
    from webhooks.models import InboundEvent

    post_wavix(fixture_bytes("wavix", "sent.json"))

    event = InboundEvent.objects.get()
    assert WAVIX_SECRET not in event.query_string
    assert "token=%5Bredacted%5D" in event.query_string
