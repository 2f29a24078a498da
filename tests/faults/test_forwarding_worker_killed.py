"""A forwarding worker killed with SIGKILL while a delivery is in flight sends it again.

Delivery is at least once: a worker claims a batch, sends it, and only then records what
the receiver answered. A worker that dies between sending and recording leaves the rows
pending; once its claim lapses another worker sends them again with the same
`webhook-id`, so a receiver that deduplicates on it acts on every outcome exactly once.
"""

import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from alerts.models import webhook_secret_generate
from deliveries.status import FINAL_STATUSES
from forwarding.models import FINAL, webhook_id_of

from ..forwarding.receiver import Answer, Received, Receiver
from .processes import App, PostgresInstance, Server, process_end, wait_for
from .traffic import smstake_traffic, wait_until_processed

pytestmark = pytest.mark.faults

# A slow receiver, so that a kill finds requests it has read but not answered yet.
HOLD_SECONDS = 0.7
# Small batches: some are recorded before the kill, one is in flight, others wait.
BATCH = 4
_STATES = "SELECT id, state FROM forwarding_delivery"
FORWARDING_TABLES = "forwarding_deliveryattempt, forwarding_delivery, forwarding_subscription"


class SlowReceiver(Receiver):
    """Holds each request before answering 204, and knows which ones it is holding."""

    def __init__(self) -> None:
        super().__init__(secret=webhook_secret_generate(), answer=self._hold)
        self.holding: Counter[str] = Counter()
        # Held by the test while it kills the worker: no held request is answered then.
        self.answering = threading.Lock()

    def _hold(self, item: Received) -> Answer:
        webhook_id = item.headers.get("webhook-id", "")
        with self.answering:
            self.holding[webhook_id] += 1
        time.sleep(HOLD_SECONDS)
        with self.answering:
            self.holding[webhook_id] -= 1
        return 204, b"", {}

    def held(self) -> set[str]:
        """The webhook-ids of the requests read and not answered yet (hold `answering`)."""
        return {webhook_id for webhook_id, count in self.holding.items() if count}


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    started = SlowReceiver()
    started.start()
    yield started
    started.stop()


@pytest.fixture
def forwarding(inbox: PostgresInstance) -> Iterator[PostgresInstance]:
    """No subscription or delivery before, and none left to other tests' workers after."""
    inbox.query(f"TRUNCATE {FORWARDING_TABLES} RESTART IDENTITY")
    yield inbox
    inbox.query(f"TRUNCATE {FORWARDING_TABLES} RESTART IDENTITY")


def test_a_worker_killed_mid_delivery_leaves_it_pending_and_it_is_sent_again_with_its_webhook_id(
    app: App, server: Server, forwarding: PostgresInstance, receiver: SlowReceiver
) -> None:
    db = forwarding
    app.manage(
        "shell",
        "-c",
        "from forwarding.models import Subscription; Subscription.objects.create("
        f"name='fault receiver', url={receiver.url!r}, secrets=[{receiver.secret!r}], "
        f"event_types=[{FINAL!r}])",
    )
    bodies = smstake_traffic(messages=40, seed=87)
    assert {a.status for a in server.post_many(bodies)} == {200}

    worker = _worker(app)
    try:
        wait_for(
            lambda: _delivered(db) >= BATCH and _holds_any(receiver),
            timeout=60,
            what="a batch delivered and the next one in flight",
        )
        with receiver.answering:  # the held requests stay unanswered until the kill
            in_flight = receiver.held()
            worker.send_signal(signal.SIGKILL)  # the OOM killer: nothing recorded
            worker.wait(timeout=10)
    finally:
        process_end(worker)
    assert in_flight

    # Sent, never answered: not recorded as delivered, not lost either.
    states = {webhook_id_of(pk): state for pk, state in db.query(_STATES)}
    in_flight_states = {states.get(webhook_id) for webhook_id in in_flight}
    assert in_flight_states == {"pending"}, in_flight_states
    # The dead worker's claim would last a minute: let it lapse now instead of waiting.
    db.query(
        "UPDATE forwarding_delivery SET next_attempt_at = now() "
        "WHERE state = 'pending' AND next_attempt_at > now()"
    )

    replacement = _worker(app, beat=True)
    try:
        wait_until_processed(db, len(bodies), timeout=60)
        wait_for(
            lambda: (
                db.scalar("SELECT count(*) FROM forwarding_delivery WHERE state <> 'delivered'")
                == 0
            ),
            timeout=60,
            what=f"every delivery delivered (now {_delivery_states(db)})",
        )
    finally:
        process_end(replacement)

    finals = {
        message_id
        for (message_id,) in db.query(
            "SELECT message_id FROM deliveries_message WHERE status = ANY(%s)",
            sorted(FINAL_STATUSES),
        )
    }
    assert len(finals) >= 20
    rows = db.query(
        "SELECT d.id, m.message_id, d.state FROM forwarding_delivery d "
        "JOIN deliveries_message m ON m.id = d.message_id WHERE d.event_type = %s",
        FINAL,
    )
    # One outbox row per message that reached a final status, and every one delivered.
    assert sorted(message_id for _, message_id, _ in rows) == sorted(finals)
    assert {state for _, _, state in rows} == {"delivered"}

    received = list(receiver.received)
    assert [r.error for r in received if r.payload is None] == []  # every signature verified
    sent = Counter(r.headers["webhook-id"] for r in received)
    # The deliveries in flight at the kill were sent again, under the same webhook-id.
    assert {webhook_id for webhook_id in in_flight if sent[webhook_id] >= 2} == in_flight
    # A receiver deduplicating on webhook-id sees each message's final outcome exactly once.
    deduplicated = {r.headers["webhook-id"]: r.payload for r in received if r.payload}
    assert set(deduplicated) == {webhook_id_of(pk) for pk, _, _ in rows}
    assert {payload["type"] for payload in deduplicated.values()} == {FINAL}
    per_message = Counter(payload["message"]["message_id"] for payload in deduplicated.values())
    assert per_message == Counter(finals)


def _worker(app: App, *, beat: bool = False) -> subprocess.Popen[bytes]:
    return app.celery_worker(
        beat=beat,
        # Reports are applied from one queue, deliveries sent from the other.
        queues=("celery", "outbound"),
        OUTBOUND_ALLOWED_HOSTS="127.0.0.1",  # the receiver is on loopback
        FORWARDING_BATCH_SIZE=str(BATCH),
        FORWARDING_RETRY_BASE_SECONDS="1",
    )


def _holds_any(receiver: SlowReceiver) -> bool:
    with receiver.answering:
        return bool(receiver.held())


def _delivered(db: PostgresInstance) -> int:
    return int(db.scalar("SELECT count(*) FROM forwarding_delivery WHERE state = 'delivered'"))


def _delivery_states(db: PostgresInstance) -> dict[str, int]:
    return dict(db.query("SELECT state, count(*) FROM forwarding_delivery GROUP BY state"))
