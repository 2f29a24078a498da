"""SMSTAKE end to end: signed request → stored event → message and history."""

import json

import pytest

from deliveries.models import Message, StatusEvent
from webhooks.models import InboundEvent, WebhookEndpoint

from ..helpers import SMSTAKE_SECRET, fixture_bytes, smstake_sign

pytestmark = pytest.mark.django_db


def test_the_seed_sample_is_answered_200_and_shows_up_delivered(post_smstake, admin_client):
    body = fixture_bytes("smstake", "delivered.json")

    response = post_smstake(body)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert bytes(event.body) == body
    assert (event.state, event.outcome) == ("done", "applied")
    api = admin_client.get("/api/v1/messages/", {"message_id": "msg_8f3k2j9x1m"}).json()
    [message] = api["results"]
    assert message["status"] == "delivered"
    assert message["to"] == "+919876543210"
    assert message["operator"] == "JIO"
    assert message["client_ref"] == "order_ORD2847"
    assert message["dlt_template_id"] == "1207165123456789012"
    assert message["delivered_at"] == "2026-06-30T04:45:04Z"
    events = admin_client.get(f"/api/v1/messages/{message['id']}/events/").json()
    assert [(e["status"], e["provider_code"], e["inbound_event_id"]) for e in events] == [
        ("delivered", "DELIVRD", event.pk)
    ]


@pytest.mark.parametrize(
    ("fixture", "status", "raw_status", "code", "error_code", "channel"),
    [
        ("queued.json", "queued", "queued", "ACCEPTD", "", "sms"),
        ("submitted.json", "submitted", "submitted", "ACCEPTD", "", "sms"),
        ("sent.json", "sent", "sent", "ENROUTE", "", "sms"),
        ("delivered.json", "delivered", "delivered", "DELIVRD", "", "sms"),
        ("failed.json", "failed", "failed", "UNDELIV", "DND", "sms"),
        (
            "rejected_dlt_template.json",
            "rejected",
            "rejected",
            "REJECTD",
            "DLT_TEMPLATE_MISMATCH",
            "sms",
        ),
        ("expired.json", "expired", "expired", "EXPIRED", "EXPIRED", "sms"),
        ("undelivered.json", "undelivered", "undelivered", "UNDELIV", "001", "sms"),
        ("unknown_status.json", "unknown", "handset_confused", "UNKNOWN", "", "sms"),
        ("whatsapp_read.json", "read", "read", "READ", "", "whatsapp"),
        ("rcs_read.json", "read", "read", "READ", "", "rcs"),
        ("voice_answered.json", "answered", "answered", "ANSWERED", "", "voice"),
        ("voice_busy.json", "busy", "busy", "BUSY", "USER_BUSY", "voice"),
        ("voice_no_answer.json", "no_answer", "no-answer", "NOANSWER", "NO_ANSWER", "voice"),
    ],
)
def test_it_maps_each_documented_status(
    post_smstake, fixture, status, raw_status, code, error_code, channel
):
    body = fixture_bytes("smstake", fixture)

    assert post_smstake(body).status_code == 200

    message = Message.objects.get(message_id=json.loads(body)["message_id"])
    assert (message.status, message.provider_status, message.provider_code) == (
        status,
        raw_status,
        code,
    )
    assert (message.error_code, message.channel) == (error_code, channel)
    assert message.events.get().status == status


def test_voice_reports_keep_the_call_duration(post_smstake):
    post_smstake(fixture_bytes("smstake", "voice_answered.json"))

    assert Message.objects.get(message_id="msg_vc3h8s2kq1").call_duration == 37


def test_whatsapp_read_receipts_keep_delivered_and_read_times(post_smstake):
    post_smstake(fixture_bytes("smstake", "whatsapp_read.json"))

    message = Message.objects.get(message_id="msg_wa77k2p0qd")
    assert message.delivered_at and message.read_at
    assert message.delivered_at.isoformat() == "2026-06-30T04:45:04+00:00"
    assert message.read_at.isoformat() == "2026-06-30T04:46:40+00:00"


def test_a_correct_signature_is_accepted(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")

    assert post_smstake(body, signature=smstake_sign(body)).status_code == 200


def test_one_flipped_hex_digit_is_refused(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")
    signature = smstake_sign(body)
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    assert post_smstake(body, signature=flipped).status_code == 401
    assert not Message.objects.exists()


def test_a_signature_made_with_another_secret_is_refused(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")

    assert post_smstake(body, signature=smstake_sign(body, "not-the-secret")).status_code == 401


def test_a_signature_over_a_reserialized_body_is_refused(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")
    reserialized = json.dumps(json.loads(body)).encode()

    response = post_smstake(reserialized, signature=smstake_sign(body))

    assert response.status_code == 401
    assert not Message.objects.exists()
    rejected = InboundEvent.objects.get()
    assert (rejected.auth_ok, rejected.response_code, rejected.state) == (False, 401, "rejected")
    assert bytes(rejected.body) == b""  # an unauthentic body is not kept


def test_during_rotation_both_the_old_and_the_new_secret_are_accepted(
    post_smstake, smstake_endpoint: WebhookEndpoint
):
    smstake_endpoint.secrets = [SMSTAKE_SECRET, "whsec_new_secret"]
    smstake_endpoint.save()
    body = fixture_bytes("smstake", "delivered.json")

    assert post_smstake(body, signature=smstake_sign(body, SMSTAKE_SECRET)).status_code == 200
    assert post_smstake(body, signature=smstake_sign(body, "whsec_new_secret")).status_code == 200

    smstake_endpoint.secrets = ["whsec_new_secret"]
    smstake_endpoint.save()
    assert post_smstake(body, signature=smstake_sign(body, SMSTAKE_SECRET)).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "md5=abcdef",
        "sha256=zz-not-hex",
        "sha256=ÿÿÿÿ",
        "sha256=" + "a" * 16000,
        "garbage without equals",
    ],
)
def test_a_missing_or_malformed_signature_is_refused_not_crashed(post_smstake, header):
    body = fixture_bytes("smstake", "delivered.json")

    assert post_smstake(body, signature=header).status_code == 401
    assert StatusEvent.objects.count() == 0
