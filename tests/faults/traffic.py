"""The traffic the fault tests send, and what the database holds after it: the truth to
compare against."""

import json
from datetime import UTC, datetime

from .processes import PostgresInstance, wait_for

# Fixed, so the generated traffic (and its dedup keys) is the same on every run.
_TRAFFIC_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def states(db: PostgresInstance) -> dict[str, int]:
    return dict(db.query("SELECT state, count(*) FROM webhooks_inboundevent GROUP BY state"))


def wait_until_processed(db: PostgresInstance, total: int, *, timeout: float = 90) -> None:
    wait_for(
        lambda: states(db).get("done", 0) >= total,
        timeout=timeout,
        what=f"{total} events processed (now {json.dumps(states(db))})",
    )


def smstake_traffic(*, messages: int, seed: int) -> list[bytes]:
    """Signed-able SMSTAKE bodies for `messages` journeys, in the providers' time order."""
    from webhooks.simulation import TrafficGenerator

    generator = TrafficGenerator(seed=seed, wavix_share=0.0, now=_TRAFFIC_NOW)
    return [request.body for request in generator.requests(messages)]


def expected_events(bodies: list[bytes]) -> dict[str, set[str]]:
    """The distinct reports in `bodies` (their dedup keys), by message id: the truth."""
    from deliveries.services import report_dedup_key
    from webhooks.providers import InboundRequest
    from webhooks.providers.smstake import SmstakeProvider

    provider = SmstakeProvider()
    expected: dict[str, set[str]] = {}
    for body in bodies:
        request = InboundRequest(method="POST", url="", headers={}, query={}, body=body)
        for report in provider.parse(request):
            expected.setdefault(report.message_id, set()).add(report_dedup_key(report))
    return expected


def stored_events(db: PostgresInstance) -> dict[str, set[str]]:
    rows = db.query(
        "SELECT m.message_id, e.dedup_key FROM deliveries_statusevent e "
        "JOIN deliveries_message m ON m.id = e.message_id"
    )
    stored: dict[str, set[str]] = {}
    for message_id, key in rows:
        stored.setdefault(message_id, set()).add(key)
    return stored
