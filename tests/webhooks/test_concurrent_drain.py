"""Workers draining one inbox at once, over batches that share messages (PostgreSQL).

A worker skips the events of a message another worker holds (`_events_reserve`) instead
of waiting for that worker's commit. Skipped events must come back: nothing lost, nothing
applied twice, rollups exact, and the result the same as one worker draining alone.
"""

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import pytest
from django.db import connection
from prometheus_client import REGISTRY

from deliveries import rollup_rebuild
from deliveries.bulk_messages import messages_reserve
from deliveries.models import Campaign, Message, ReportKey, StatusEvent
from deliveries.services import report_dedup_key
from webhooks.inbox import inbound_events_process, inbox_batches, inbox_drain
from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.providers import InboundRequest, get_provider
from webhooks.simulation import CAMPAIGNS, SimulatedRequest, TrafficGenerator

from ..deliveries.test_rollups import cells, rollups_clear
from ..helpers import SMSTAKE_SECRET, held_elsewhere, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MESSAGE_STATE = (
    "provider",
    "message_id",
    "channel",
    "to",
    "sender",
    "status",
    "provider_status",
    "error_code",
    "operator",
    "client_ref",
    "campaign_id",
    "segments",
    "submitted_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "call_duration",
)


def _endpoints() -> dict[str, WebhookEndpoint]:
    return {
        provider: WebhookEndpoint.objects.create(
            provider=provider, slug=provider, secrets=[SMSTAKE_SECRET]
        )
        for provider in ("smstake", "wavix")
    }


def _store(endpoints: dict[str, WebhookEndpoint], requests: list[tuple[str, bytes]]) -> None:
    InboundEvent.objects.bulk_create(
        InboundEvent(
            endpoint=endpoints[provider],
            received_at=NOW,
            method="POST",
            headers={"content-type": "application/json"},
            body=body,
            auth_ok=True,
            response_code=200,
            state=InboundEvent.State.PENDING,
        )
        for provider, body in requests
    )


def _delivered(message_id: str) -> tuple[str, bytes]:
    body = (
        b'{"event": "message.dlr", "message_id": "%s", "status": "delivered", '
        b'"to": "+919876543210", "timestamp": "2026-11-20T17:15:03+05:30"}' % message_id.encode()
    )
    return "smstake", body


def _held_elsewhere(message_id: str) -> AbstractContextManager[None]:
    """Another worker's transaction holding one message until the block ends."""
    return held_elsewhere(lambda: messages_reserve(keys={("smstake", message_id)}))


def test_an_event_whose_message_another_worker_holds_is_left_pending_for_a_later_batch():
    endpoints = _endpoints()
    _store(endpoints, [_delivered("m-1"), _delivered("m-2"), _delivered("m-3")])

    with _held_elsewhere("m-2"):
        assert inbound_events_process(limit=10) == 2
        skipped = InboundEvent.objects.order_by("pk")[1]  # m-2
        # Untouched: no attempt counted, no outcome, no backoff; the next claim takes it.
        assert (skipped.state, skipped.outcome, skipped.attempts) == ("pending", "", 0)
        assert skipped.next_attempt_at is None
        assert not Message.objects.filter(message_id="m-2").exists()

    assert inbox_drain() == 1
    assert set(InboundEvent.objects.values_list("state", "outcome")) == {("done", "applied")}
    assert StatusEvent.objects.count() == 3


def test_the_oldest_event_of_a_batch_waits_for_its_message_instead_of_being_skipped():
    endpoints = _endpoints()
    _store(endpoints, [_delivered("m-1"), _delivered("m-2")])
    done: list[int] = []

    def drain() -> None:
        try:
            done.append(inbound_events_process(limit=10))
        finally:
            connection.close()

    with _held_elsewhere("m-1"):
        worker = threading.Thread(target=drain)
        worker.start()
        _until(lambda: _sessions_waiting_on("advisory") == 1)
        assert InboundEvent.objects.filter(state="pending").count() == 2
    worker.join(timeout=30)

    # Every batch applies its oldest event: a skipped event cannot be skipped forever.
    assert done == [2]
    assert InboundEvent.objects.filter(state="done").count() == 2


def test_a_drain_passes_over_the_events_it_left_once_then_waits_for_them():
    endpoints = _endpoints()
    _store(endpoints, [_delivered("m-1"), _delivered("m-2"), _delivered("m-3")])
    batches = inbox_batches(batch_size=10)
    last: list[int] = []

    def next_batch() -> None:
        try:
            last.append(next(batches))
        finally:
            connection.close()

    with _held_elsewhere("m-2"):
        assert next(batches) == 2
        assert next(batches) == 0  # m-2 passed over: its holder is most likely still busy
        worker = threading.Thread(target=next_batch)
        worker.start()
        _until(lambda: _sessions_waiting_on("advisory") == 1)  # then waited for
    worker.join(timeout=30)

    assert last == [1]
    assert list(batches) == []
    assert set(InboundEvent.objects.values_list("state", flat=True)) == {"done"}


def test_a_drain_batch_whose_every_message_is_held_elsewhere_is_all_left_then_applied():
    endpoints = _endpoints()
    _store(endpoints, [_delivered("m-1"), _delivered("m-1")])
    batches = inbox_batches(batch_size=10)
    last: list[int] = []

    def rest() -> None:
        try:
            last.extend(batches)
        finally:
            connection.close()

    with _held_elsewhere("m-1"):
        assert next(batches) == 0  # nothing applied, nothing written
        assert set(InboundEvent.objects.values_list("state", "attempts")) == {("pending", 0)}
        worker = threading.Thread(target=rest)
        worker.start()
        _until(lambda: _sessions_waiting_on("advisory") == 1)
    worker.join(timeout=30)

    assert sum(last) == 2
    assert sorted(InboundEvent.objects.values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]


def test_four_workers_over_shared_messages_apply_every_report_once_as_one_worker_would():
    for name, prefix in CAMPAIGNS:
        Campaign.objects.create(ref_prefix=prefix, name=name)
    endpoints = _endpoints()
    # Requests in time order: a message's reports sit in neighbouring batches of 8 events.
    generator = TrafficGenerator(seed=11, now=NOW, spread_hours=0.05, wavix_share=0.0)
    traffic = generator.requests(250)
    _store(endpoints, [(r.provider, r.body) for r in traffic])
    truth = _distinct_reports(traffic)
    deferred_before = _deferred()

    barrier = threading.Barrier(4)

    def drain() -> None:
        try:
            barrier.wait(timeout=10)
            inbox_drain(batch_size=8)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert _deferred() > deferred_before  # the skipping path ran
    assert set(InboundEvent.objects.values_list("state", flat=True)) == {"done"}
    assert sorted(StatusEvent.objects.values_list("dedup_key", flat=True)) == sorted(truth)
    # Each distinct report moved state through exactly one event; the others are duplicates.
    applied = InboundEvent.objects.exclude(outcome="duplicate")
    assert sum(applied.values_list("report_count", flat=True)) == len(truth)
    incremental = cells()
    rollup_rebuild.rollups_rebuild()
    assert cells() == incremental
    concurrent = set(Message.objects.values_list(*MESSAGE_STATE))

    # The same events drained by one worker, from scratch.
    StatusEvent.objects.all().delete()
    Message.objects.all().delete()
    ReportKey.objects.all().delete()
    rollups_clear()
    InboundEvent.objects.update(state="pending", outcome="", report_count=0)
    inbox_drain(batch_size=8)

    assert set(Message.objects.values_list(*MESSAGE_STATE)) == concurrent
    assert cells() == incremental


def _distinct_reports(traffic: list[SimulatedRequest]) -> set[str]:
    keys = set()
    for simulated in traffic:
        request = InboundRequest(method="POST", url="", headers={}, query={}, body=simulated.body)
        keys |= {report_dedup_key(r) for r in get_provider(simulated.provider).parse(request)}
    return keys


def _deferred() -> float:
    return REGISTRY.get_sample_value("dlrdash_inbound_events_deferred_total") or 0.0


def _sessions_waiting_on(lock_type: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND wait_event = %s AND datname = current_database()",
            [lock_type],
        )
        return int(cursor.fetchone()[0])


def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
