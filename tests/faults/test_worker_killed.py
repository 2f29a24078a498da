"""A worker killed with SIGKILL in the middle of a batch loses nothing and doubles nothing.

Each batch of events is claimed and applied in one transaction, acknowledged late: a
worker that dies mid-batch leaves that batch pending (PostgreSQL rolls it back when the
connection drops), and the next worker or the periodic sweep applies it exactly once.
"""

import signal
import time

import pytest

from .processes import App, PostgresInstance, Server, process_end
from .traffic import expected_events, smstake_traffic, states, stored_events, wait_until_processed

pytestmark = pytest.mark.faults

BACKLOG = 3000
BATCH = 250
WORKER_APP_NAME = "fault-worker"


def test_a_worker_killed_mid_batch_is_replaced_and_every_report_is_applied_once(
    app: App, server: Server, inbox: PostgresInstance
) -> None:
    bodies = smstake_traffic(messages=1300, seed=81)[:BACKLOG]
    answers = server.post_many(bodies)
    assert {a.status for a in answers} == {200}
    assert states(inbox) == {"pending": BACKLOG}  # no worker yet: a backlog

    # The requests left "drain now" kicks on Redis: the worker starts on them at once.
    # PGAPPNAME names the worker's database sessions, to see its open transaction.
    worker = app.celery_worker(INBOX_BATCH_SIZE=str(BATCH), PGAPPNAME=WORKER_APP_NAME)
    try:
        _wait_for_a_batch_in_flight(inbox)
        worker.send_signal(signal.SIGKILL)  # the OOM killer: no cleanup, no ack
        worker.wait(timeout=10)
    finally:
        process_end(worker)
    at_kill = states(inbox)
    assert 0 < at_kill.get("done", 0) < BACKLOG, f"not killed mid-drain: {at_kill}"
    assert set(at_kill) <= {"done", "pending"}
    # Whole batches or nothing: the batch being applied at the kill was rolled back.
    assert at_kill["done"] % BATCH == 0, at_kill

    # A new worker with the periodic sweep: the killed batch is still pending, not lost.
    replacement = app.celery_worker(beat=True, INBOX_BATCH_SIZE=str(BATCH))
    try:
        wait_until_processed(inbox, BACKLOG, timeout=120)
    finally:
        process_end(replacement)

    assert states(inbox) == {"done": BACKLOG}
    assert stored_events(inbox) == expected_events(bodies)
    assert inbox.scalar("SELECT count(*) FROM deliveries_statusevent") == sum(
        len(keys) for keys in expected_events(bodies).values()
    )
    # Every report is attributed to exactly one inbound event, and that event is done.
    orphans = inbox.scalar(
        "SELECT count(*) FROM deliveries_statusevent e LEFT JOIN webhooks_inboundevent i "
        "ON i.id = e.inbound_event_id WHERE i.id IS NULL OR i.state <> 'done'"
    )
    assert orphans == 0
    assert inbox.scalar("SELECT sum(report_count) FROM webhooks_inboundevent") == BACKLOG


def _wait_for_a_batch_in_flight(db: PostgresInstance) -> None:
    """Until a batch is committed and the worker is inside the transaction of another."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        in_transaction = db.scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND xact_start IS NOT NULL",
            WORKER_APP_NAME,
        )
        if in_transaction and states(db).get("done", 0) >= BATCH:
            return
        time.sleep(0.01)
    raise AssertionError(f"the worker made no progress: {states(db)}")
