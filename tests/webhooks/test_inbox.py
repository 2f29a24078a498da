"""The inbox: stored first, processed after commit, swept when processing never ran."""

import os
import threading
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import DataError, connection
from django.test import Client

from deliveries.models import DeliveryRollup, Message, StatusEvent
from webhooks import tasks
from webhooks.inbox import inbox_drain
from webhooks.models import InboundEvent, WebhookEndpoint

from ..helpers import ON_POSTGRES, SMSTAKE_SECRET, fixture_bytes, requires_postgres, smstake_sign


@pytest.mark.django_db
def test_the_sweeper_applies_an_event_whose_task_never_ran(client, smstake_endpoint):
    body = fixture_bytes("smstake", "delivered.json")
    # Posted without running after-commit callbacks: as if the worker died or the
    # broker lost the message between the commit and the processing.
    response = client.post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body)},
    )
    assert response.status_code == 200
    assert InboundEvent.objects.get().state == "pending"
    assert not Message.objects.exists()

    assert tasks.drain_inbox() == 1

    assert InboundEvent.objects.get().state == "done"
    assert Message.objects.get().status == "delivered"
    assert tasks.drain_inbox() == 0  # nothing left, nothing applied twice
    assert StatusEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_failing_event_is_retried_later_then_parked(post_smstake, settings, monkeypatch):
    settings.INBOX_MAX_ATTEMPTS = 2
    monkeypatch.setattr("webhooks.inbox.reports_apply", _raise)
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == ("pending", 1)

    InboundEvent.objects.update(next_attempt_at=None)  # its backoff has passed
    tasks.drain_inbox()

    event.refresh_from_db()
    assert (event.state, event.attempts, event.outcome) == ("failed", 2, "error")


def _in_threads(count: int, target: Callable[[], object]) -> None:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _raise(**kwargs: object) -> None:
    raise RuntimeError("poison")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_deliveries_at_once_store_exactly_one_event():
    WebhookEndpoint.objects.create(provider="smstake", slug="smstake", secrets=[SMSTAKE_SECRET])
    body = fixture_bytes("smstake", "delivered.json")
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def deliver() -> None:
        barrier.wait()
        response = Client().post(
            "/webhooks/smstake/",
            data=body,
            content_type="application/json",
            headers={"X-SMSTAKE-Signature": smstake_sign(body)},
        )
        codes.append(response.status_code)

    _in_threads(20, deliver)

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # With a broker, workers apply: four of them race over the twenty events.
        _in_threads(4, inbox_drain)

    assert codes == [200] * 20
    assert InboundEvent.objects.count() == 20
    assert InboundEvent.objects.filter(state="done").count() == 20
    assert StatusEvent.objects.count() == 1
    assert Message.objects.get().status == "delivered"
    assert InboundEvent.objects.filter(outcome="applied").count() == 1


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"),
    reason="needs Redis: run with CELERY_BROKER_URL=redis://…",
)
@pytest.mark.django_db
def test_with_a_broker_the_request_only_kicks_a_drain_on_redis(
    client, smstake_endpoint, django_capture_on_commit_callbacks, monkeypatch
):
    import redis

    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("celery")
    body = fixture_bytes("smstake", "delivered.json")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/smstake/",
            data=body,
            content_type="application/json",
            headers={"X-SMSTAKE-Signature": smstake_sign(body)},
        )

    assert response.status_code == 200
    assert InboundEvent.objects.get().state == "pending"  # the worker's job, not the request's
    # The kick is published from a background thread, never on the request's time.
    deadline = time.monotonic() + 5
    while queue.llen("celery") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.llen("celery") == 1
    queue.delete("celery")


def _pending_smstake(
    endpoint: WebhookEndpoint, count: int, start: int, operator: str = "JIO"
) -> None:
    for i in range(start, start + count):
        body = (
            b'{"event": "message.dlr", "message_id": "q%d", "status": "delivered", '
            b'"to": "+919876543210", "operator": "%s", '
            b'"timestamp": "2026-11-23T10:15:03+05:30"}' % (i, operator.encode())
        )
        InboundEvent.objects.create(
            endpoint=endpoint,
            received_at=endpoint.created_at,
            method="POST",
            body=body,
            auth_ok=True,
            response_code=200,
            state=InboundEvent.State.PENDING,
        )


@pytest.mark.django_db
def test_a_batch_costs_the_same_number_of_queries_for_5_events_as_for_50(smstake_endpoint):
    from django.test.utils import CaptureQueriesContext

    counts = []
    for start, size in ((0, 5), (100, 50)):
        _pending_smstake(smstake_endpoint, size, start)
        with CaptureQueriesContext(connection) as queries:
            assert inbox_drain() == size
        counts.append(len(queries))

    # SQLite's parameter limit splits the ORM's message insert into chunks: PostgreSQL only.
    assert counts[0] == counts[1] if ON_POSTGRES else counts[1] <= counts[0] + 2
    done = InboundEvent.objects.filter(state="done", outcome="applied")
    # One batch, one processing time for all of its events.
    assert done.count() == 55
    assert len(set(done.values_list("processed_at", flat=True))) == 2


@pytest.mark.django_db
def test_a_batch_whose_rollup_write_fails_is_retried_one_by_one_and_only_the_poison_waits(
    smstake_endpoint, monkeypatch
):
    """The batch writes its rollups last, after its events; if that fails, the whole batch
    is undone and each event applied on its own, rollups included."""
    from deliveries import rollup_rebuild, rollups

    real = rollups.rollups_apply

    def poisoned(changes):
        changes = list(changes)
        if any(c.after and c.after.cell.operator == "POISON" for c in changes):
            raise DataError("value too long for type character varying(16)")
        real(changes)

    monkeypatch.setattr(rollups, "rollups_apply", poisoned)
    for i, operator in enumerate(("JIO", "POISON", "AIRTEL")):
        _pending_smstake(smstake_endpoint, 1, i, operator=operator)

    assert inbox_drain() == 3

    events = list(InboundEvent.objects.order_by("pk"))
    assert [(e.state, e.outcome) for e in events] == [
        ("done", "applied"),
        ("pending", "error"),
        ("done", "applied"),
    ]
    assert events[1].attempts == 1
    assert sorted(Message.objects.values_list("message_id", flat=True)) == ["q0", "q2"]
    incremental = sorted(DeliveryRollup.objects.values_list("operator", "messages"))
    assert incremental == [("AIRTEL", 1), ("JIO", 1)]
    rollup_rebuild.rollups_rebuild()
    assert sorted(DeliveryRollup.objects.values_list("operator", "messages")) == incremental
