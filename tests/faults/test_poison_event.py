"""A poison event: processing it raises. Retried with backoff, parked, others unaffected.

In-process (pytest-django, SQLite or PostgreSQL): the poison is a report whose apply
raises a database error, as a constraint the parser did not foresee would.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import DataError
from django.test import Client
from django.utils import timezone

from deliveries.models import Message, StatusEvent
from deliveries.services import reports_apply
from webhooks.inbox import inbound_events_reprocess, inbox_drain
from webhooks.models import InboundEvent, WebhookEndpoint

from ..helpers import fixture_bytes, smstake_sign

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

POISON_ID = "msg_poison_0001"
HEALTHY_IDS = [f"msg_healthy_{n:04d}" for n in range(4)]


def _reports_apply_poisoned(*, items, **kwargs):
    if any(report.message_id == POISON_ID for report, _ in items):
        raise DataError("value too long for type character varying(64)")
    return reports_apply(items=items, **kwargs)


def _post_without_processing(client: Client, message_id: str) -> None:
    # Posted with no after-commit processing, like a request whose kick never ran.
    body = fixture_bytes("smstake", "delivered.json").replace(
        b"msg_8f3k2j9x1m", message_id.encode()
    )
    response = client.post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body)},
    )
    assert response.status_code == 200


def test_a_poison_event_is_retried_with_backoff_parked_then_applied_once_after_a_fix(
    client: Client, smstake_endpoint: WebhookEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    for message_id in [HEALTHY_IDS[0], HEALTHY_IDS[1], POISON_ID, *HEALTHY_IDS[2:]]:
        _post_without_processing(client, message_id)
    poison = InboundEvent.objects.order_by("pk")[2]
    monkeypatch.setattr("webhooks.inbox.reports_apply", _reports_apply_poisoned)

    clock = timezone.now()
    delays: list[float] = []
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock):
        inbox_drain()
        # The others went through in the same drain, one by one after the batch failed.
        assert set(Message.objects.values_list("message_id", flat=True)) == set(HEALTHY_IDS)
        assert InboundEvent.objects.filter(state="done").count() == len(HEALTHY_IDS)
        while True:
            poison.refresh_from_db()
            if poison.state != "pending":
                break
            assert poison.next_attempt_at is not None
            delays.append((poison.next_attempt_at - clock).total_seconds())
            # Not before its time: a drain just short of the backoff leaves it alone.
            clock = poison.next_attempt_at - timedelta(seconds=1)
            assert inbox_drain() == 0
            clock = poison.next_attempt_at
            inbox_drain()

    assert delays == [10, 20, 40, 80]  # doubling backoff between the 5 attempts
    assert (poison.state, poison.outcome, poison.attempts) == (
        "failed",
        "error",
        settings.INBOX_MAX_ATTEMPTS,
    )
    assert poison.error == "DataError: value too long for type character varying(64)"
    assert StatusEvent.objects.count() == len(HEALTHY_IDS)

    monkeypatch.setattr("webhooks.inbox.reports_apply", reports_apply)  # the fix ships
    assert inbound_events_reprocess(events=[poison]) == 1
    assert inbound_events_reprocess(events=[poison]) == 1  # a second click changes nothing

    poison.refresh_from_db()
    # Its report is recorded from this very event, so it stays "applied" (not "duplicate").
    assert (poison.state, poison.outcome) == ("done", "applied")
    assert Message.objects.get(message_id=POISON_ID).status == "delivered"
    assert StatusEvent.objects.filter(message__message_id=POISON_ID).count() == 1
    assert StatusEvent.objects.count() == len(HEALTHY_IDS) + 1
