"""A retry storm: every report delivered three times, shuffled, concurrently.

Providers retry everything after an outage on their side or ours. Two drain processes
work while the storm is still arriving (SKIP LOCKED claims, message locks). The result
must be exactly what one clean delivery of each report gives.
"""

import random

import pytest

from .processes import App, PostgresInstance, Server, process_end
from .traffic import expected_events, smstake_traffic, states, stored_events, wait_until_processed

pytestmark = pytest.mark.faults

COPIES = 3
# What a report leaves behind, without the columns that only say when it was processed.
MESSAGE_STATE = (
    'SELECT provider, message_id, channel, to_raw, "to", sender, status, provider_status, '
    "provider_code, operator, error_code, error_message, dlt_template_id, client_ref, tag, "
    "segments, submitted_at, sent_at, delivered_at, read_at, call_duration "
    "FROM deliveries_message"
)
EVENT_STATE = (
    "SELECT m.message_id, e.status, e.provider_status, e.provider_code, e.error_code, "
    "e.error_message, e.provider_time, e.dedup_key "
    "FROM deliveries_statusevent e JOIN deliveries_message m ON m.id = e.message_id"
)


def test_the_same_reports_three_times_over_concurrently_leave_one_deliverys_state(
    app: App, server: Server, inbox: PostgresInstance
) -> None:
    bodies = smstake_traffic(messages=780, seed=85)
    storm = bodies * COPIES
    random.Random(85).shuffle(storm)
    drains = [app.drain_process("--loop", "--interval", "0.2") for _ in range(2)]
    try:
        answers = server.post_many(storm)
        wait_until_processed(inbox, len(storm))
    finally:
        for drain in drains:
            process_end(drain)

    assert [a.status for a in answers] == [200] * len(storm)
    assert states(inbox) == {"done": len(storm)}
    expected = expected_events(bodies)
    distinct_reports = sum(len(keys) for keys in expected.values())
    assert distinct_reports >= 2000
    assert stored_events(inbox) == expected
    # Each report moved state through exactly one inbound event; the rest were duplicates.
    applied_by = inbox.scalar(
        "SELECT count(*) FROM webhooks_inboundevent WHERE outcome <> 'duplicate'"
    )
    assert applied_by == distinct_reports
    after_storm = (set(inbox.query(MESSAGE_STATE)), set(inbox.query(EVENT_STATE)))

    _keep_one_copy_of_each_request(inbox)
    app.manage("drain_inbox")
    clean = (set(inbox.query(MESSAGE_STATE)), set(inbox.query(EVENT_STATE)))

    assert len(clean[0]) == len(expected)
    assert len(clean[1]) == distinct_reports
    assert after_storm[0] == clean[0]
    assert after_storm[1] == clean[1]


def _keep_one_copy_of_each_request(db: PostgresInstance) -> None:
    """The clean delivery, from the inbox itself: each distinct body once, from scratch."""
    db.query(
        "TRUNCATE deliveries_statusevent, deliveries_reportkey, deliveries_message "
        "RESTART IDENTITY CASCADE"
    )
    db.query(
        "DELETE FROM webhooks_inboundevent a USING webhooks_inboundevent b "
        "WHERE a.body = b.body AND a.id > b.id"
    )
    db.query(
        "UPDATE webhooks_inboundevent "
        "SET state = 'pending', outcome = '', attempts = 0, next_attempt_at = NULL"
    )
