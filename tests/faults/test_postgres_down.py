"""PostgreSQL stopped: 503 with Retry-After, fast, nothing half-stored; then full recovery.

The connect timeout (DB_CONNECT_TIMEOUT) bounds the answer; the provider retries on 503,
and after PostgreSQL returns the retry is stored once. Connection health checks replace
the dead persistent connections, so no web server thread is left answering 500.
"""

import pytest

from .processes import App, PostgresInstance, Server
from .traffic import expected_events, smstake_traffic, states, stored_events

pytestmark = pytest.mark.faults

WARMUP = 40  # enough to open a persistent connection in every web server thread
DURING = 16
AFTER = 20
BUDGET_SECONDS = 5.0


def test_with_postgres_down_the_webhook_answers_503_and_the_retry_succeeds_after(
    app: App, server: Server, inbox: PostgresInstance
) -> None:
    bodies = smstake_traffic(messages=40, seed=84)
    warmup, during, after = (
        bodies[:WARMUP],
        bodies[WARMUP : WARMUP + DURING],
        bodies[WARMUP + DURING : WARMUP + DURING + AFTER],
    )
    assert {a.status for a in server.post_many(warmup)} == {200}

    inbox.stop("immediate")  # a crash: connections cut, no shutdown checkpoint
    try:
        answers = server.post_many(during, threads=4)
    finally:
        inbox.start()

    slowest = max(a.seconds for a in answers)
    assert [a.status for a in answers] == [503] * DURING
    assert all(a.headers.get("retry-after") for a in answers)
    assert slowest < BUDGET_SECONDS, f"slowest 503 took {slowest:.2f} s"
    # Nothing partial: only the warm-up events exist, none of the refused ones.
    assert sum(states(inbox).values()) == WARMUP

    # The provider retries what was refused; then new traffic. Every thread recovered.
    retried = server.post_many(during)
    fresh = server.post_many(after)
    assert [a.status for a in retried + fresh] == [200] * (DURING + AFTER)

    app.manage("drain_inbox")
    assert states(inbox) == {"done": WARMUP + DURING + AFTER}
    assert stored_events(inbox) == expected_events(warmup + during + after)
