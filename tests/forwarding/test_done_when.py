"""End to end on PostgreSQL, scaled down from bench/forwarding_e2e.py (which runs the full
10,000 messages with the receiver down for two minutes): simulated SMSTAKE, Wavix and
Infobip traffic through the receiving view, a subscription created through the API, a
receiver (its own process, verifying with `standardwebhooks`) down at first."""

import pytest

from bench.forwarding_e2e import scenario_run

from ..helpers import requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_every_message_gets_exactly_one_final_and_no_dlr_fires_for_those_without_a_dlr(
    settings, roles
):
    # Retries scaled with the downtime, so the test waits seconds instead of minutes.
    settings.FORWARDING_RETRY_BASE_SECONDS = 1
    settings.FORWARDING_RETRY_MAX_SECONDS = 2

    report = scenario_run(messages=300, downtime=3, no_dlr_messages=20, deadline=3, timeout=120)
    print(report)

    assert report["unverified"] == 0
    assert report["messages_with_final"] == report["messages_with_a_final_status"] > 250
    assert report["messages_with_several_finals"] == 0
    assert report["messages_with_no_dlr"] == report["no_dlr_registered"] == 20
