from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries.models import Message, StatusEvent
from webhooks import tasks
from webhooks.models import InboundEvent, WebhookEndpoint

from ..helpers import fixture_bytes
from .providers.signers import key_for, request, sign

pytestmark = pytest.mark.django_db


def test_retention_clears_old_bodies_then_old_rows_and_keeps_the_message(post_smstake, settings):
    settings.RETENTION_RAW_BODY_DAYS = 30
    settings.RETENTION_INBOUND_EVENT_DAYS = 90
    settings.RETENTION_STATUS_EVENT_DAYS = 400
    post_smstake(fixture_bytes("smstake", "sent.json"))
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    old, recent = InboundEvent.objects.order_by("pk")
    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))

    assert tasks.prune()["bodies_cleared"] == 1
    assert bytes(InboundEvent.objects.get(pk=old.pk).body) == b""
    assert bytes(InboundEvent.objects.get(pk=recent.pk).body) != b""

    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=91))
    StatusEvent.objects.update(received_at=timezone.now() - timedelta(days=401))
    result = tasks.prune()

    # (Rows moved this far back sit in the default partition on PostgreSQL: deleted
    # row by row there too, no month is dropped.)
    assert result == {
        "partitions_created": 0,
        "bodies_cleared": 0,
        "inbound_events_deleted": 1,
        "inbound_event_partitions_dropped": 0,
        "status_events_deleted": 2,
        "status_event_partitions_dropped": 0,
        "report_keys_deleted": 0,
        "rejection_counts_deleted": 0,
        "audit_entries_deleted": 0,
        "unmapped_statuses_deleted": 0,
    }
    assert Message.objects.get().status == "delivered"
    assert set(tasks.prune().values()) == {0}  # idempotent


def test_pending_events_are_never_pruned(client, smstake_endpoint):
    client.post("/webhooks/smstake/", data=b"{}", content_type="application/json")
    InboundEvent.objects.update(state="pending", received_at=timezone.now() - timedelta(days=999))

    tasks.prune()

    assert InboundEvent.objects.count() == 1


def test_retention_clears_the_query_string_with_the_body(send, settings):
    # A GET report's fields are its query string: the recipient's number, the receipt.
    settings.RETENTION_RAW_BODY_DAYS = 30
    WebhookEndpoint.objects.create(provider="kannel", slug="kannel", secrets=[key_for("kannel")])
    send(sign("kannel", request("kannel", "delivered.txt"), key_for("kannel")))
    event = InboundEvent.objects.get()
    assert event.outcome == "applied" and "919876543210" in event.query_string
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(days=31))

    assert tasks.prune()["bodies_cleared"] == 1

    event.refresh_from_db()
    assert (bytes(event.body), event.query_string) == (b"", "")
    assert tasks.prune()["bodies_cleared"] == 0
