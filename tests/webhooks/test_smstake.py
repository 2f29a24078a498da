"""SMSTAKE end to end: signed request → stored event → message and history."""

import json

import pytest

from deliveries.models import Message, StatusEvent
from webhooks.models import InboundEvent
from webhooks.providers import InboundRequest
from webhooks.providers.smstake import SmstakeProvider

from ..helpers import fixture_bytes, smstake_sign

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
    events = admin_client.get(f"/api/v1/messages/{message['id']}/events/").json()
    assert [(e["status"], e["provider_code"]) for e in events] == [("delivered", "DELIVRD")]


def test_a_signature_over_a_reserialized_body_is_refused(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")
    reserialized = json.dumps(json.loads(body)).encode()

    response = post_smstake(reserialized, signature=smstake_sign(body))

    assert response.status_code == 401
    assert not Message.objects.exists()
    assert InboundEvent.objects.get().auth_ok is False
