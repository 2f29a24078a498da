"""Rollups move with the messages, and incremental counts equal a rebuild from `Message`."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from deliveries import rollup_rebuild, rollups
from deliveries.models import Campaign, DeliveryRollup, DeliveryRollupDaily, Message, ReportKey
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..helpers import examples, requires_postgres

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)
KEY = ("bucket", "campaign_id", "provider", "channel", "operator", "status", "error_code")


def report(message_id: str, status: str, **fields: object) -> DeliveryReport:
    defaults: dict[str, object] = {
        "provider": "smstake",
        "message_id": message_id,
        "status": Status(status),
        "provider_status": status.upper(),
        "channel": "sms",
        "operator": "JIO",
        "submitted_at": T0,
        "event_time": T0 + timedelta(seconds=5),
    }
    return DeliveryReport(**{**defaults, **fields})  # type: ignore[arg-type]


def cells(
    *models: type[DeliveryRollup | DeliveryRollupDaily],
) -> dict[tuple[Any, ...], tuple[int, int, dict[int, int]]]:
    """Non-empty rollup cells of every tier (or of `models`): (tier, key…) → (messages, call
    seconds, non-zero latency counts)."""
    found = {}
    for model in models or (DeliveryRollup, DeliveryRollupDaily):
        for values in model.objects.exclude(messages=0, call_seconds=0).values():
            r: dict[str, Any] = {**values}
            key = tuple(r[c] for c in KEY)
            found[(model.__name__, *key)] = (r["messages"], r["call_seconds"], histogram(r))
    return found


def rollups_clear() -> None:
    DeliveryRollup.objects.all().delete()
    DeliveryRollupDaily.objects.all().delete()


def histogram(row: DeliveryRollup | dict[str, Any]) -> dict[int, int]:
    get = row.get if isinstance(row, dict) else row.__dict__.get
    counts = {i: get(c) for i, c in enumerate(rollups.LATENCY_COLUMNS)}
    return {i: n for i, n in counts.items() if n}


def status_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in DeliveryRollup.objects.all():
        counts[row.status] = counts.get(row.status, 0) + row.messages
    return {s: n for s, n in counts.items() if n}


def test_a_new_message_is_counted_once_in_its_submit_hour():
    reports_apply(items=[(report("m1", "sent"), None)])

    [row] = DeliveryRollup.objects.all()
    assert (row.bucket, row.status, row.messages) == (T0.replace(minute=0), "sent", 1)
    assert (row.provider, row.channel, row.operator, row.campaign_id) == (
        "smstake",
        "sms",
        "JIO",
        0,
    )


def test_sent_then_delivered_moves_the_message_between_cells():
    reports_apply(items=[(report("m1", "sent"), None), (report("m2", "sent"), None)])

    reports_apply(items=[(report("m1", "delivered", event_time=T0 + timedelta(seconds=3)), None)])

    assert status_counts() == {"sent": 1, "delivered": 1}
    [bucket] = histogram(DeliveryRollup.objects.get(status="delivered"))
    # 3 s after submit: bucket [2.83 s, 4 s).
    assert rollups.LATENCY_EDGES[bucket - 1] <= 3 < rollups.LATENCY_EDGES[bucket]
    assert histogram(DeliveryRollup.objects.get(status="sent")) == {}


def test_messages_delivered_at_different_latencies_share_one_cell_and_its_histogram():
    reports_apply(
        items=[
            (report("m1", "delivered", event_time=T0 + timedelta(seconds=3)), None),
            (report("m2", "delivered", event_time=T0 + timedelta(seconds=3.5)), None),
            (report("m3", "delivered", event_time=T0 + timedelta(seconds=90)), None),
        ]
    )

    [row] = DeliveryRollup.objects.all()
    assert row.messages == 3
    assert histogram(row) == {rollups.latency_bucket(3): 2, rollups.latency_bucket(90): 1}


def test_a_later_delivery_time_moves_the_message_between_histogram_columns():
    reports_apply(items=[(report("m1", "delivered", event_time=T0 + timedelta(seconds=3)), None)])
    [row] = DeliveryRollup.objects.all()
    message = Message.objects.get(message_id="m1")
    before = rollups.counted_of(message)
    message.delivered_at = T0 + timedelta(seconds=90)

    rollups.rollups_apply([rollups.MessageChange(before, rollups.counted_of(message))])

    row.refresh_from_db()
    assert (row.messages, histogram(row)) == (1, {rollups.latency_bucket(90): 1})
    # An emptied column is NULL again, as a rebuild leaves it.
    assert getattr(row, rollups.LATENCY_COLUMNS[rollups.latency_bucket(3)]) is None


def test_a_duplicate_report_changes_nothing():
    reports_apply(items=[(report("m1", "delivered"), None)])
    before = cells()

    reports_apply(items=[(report("m1", "delivered"), None)])

    assert cells() == before


def test_an_interim_report_after_the_final_one_changes_nothing():
    reports_apply(items=[(report("m1", "delivered"), None)])
    before = cells()

    reports_apply(items=[(report("m1", "sent", event_time=T0 + timedelta(seconds=1)), None)])

    assert cells() == before


def test_a_message_filled_into_a_campaign_later_moves_with_its_counts():
    Campaign.objects.create(name="Orders", ref_prefix="order_")
    reports_apply(items=[(report("m1", "sent", operator=""), None)])

    reports_apply(
        items=[(report("m1", "delivered", client_ref="order_1", operator="AIRTEL"), None)]
    )

    [row] = DeliveryRollup.objects.exclude(messages=0)
    assert (row.status, row.operator, row.campaign_id != 0, row.messages) == (
        "delivered",
        "AIRTEL",
        True,
        1,
    )


def test_call_durations_are_summed_for_answered_calls():
    reports_apply(
        items=[
            (report("c1", "answered", channel="voice", call_duration=40), None),
            (report("c2", "answered", channel="voice", call_duration=20), None),
        ]
    )

    [row] = DeliveryRollup.objects.all()
    assert (row.messages, row.call_seconds) == (2, 60)


def test_a_message_registered_elsewhere_is_moved_not_counted_twice():
    message = Message.objects.create(
        provider="smstake", message_id="r1", status="queued", registered_at=T0, submitted_at=T0
    )
    rollups.rollups_apply([rollups.MessageChange(before=None, after=rollups.counted_of(message))])

    reports_apply(items=[(report("r1", "delivered"), None)])

    assert status_counts() == {"delivered": 1}


def test_rebuild_rollups_command_recreates_the_same_counts():
    reports_apply(items=[(report("m1", "sent"), None), (report("m2", "failed"), None)])
    reports_apply(items=[(report("m1", "delivered"), None)])
    incremental = cells()
    rollups_clear()

    call_command("rebuild_rollups", stdout=None)

    assert cells() == incremental


@pytest.mark.parametrize(
    "latency",
    [-3, 0.999999, 1, 1.414213, 1.414214, 2, 4096, 131071.999999, 131072, 10**6],
)
def test_the_rebuild_puts_a_latency_on_an_edge_in_the_same_bucket_as_the_apply_path(latency):
    delivered = T0 + timedelta(seconds=latency)
    reports_apply(items=[(report("m1", "delivered", event_time=delivered), None)])
    incremental = cells()

    rollup_rebuild.rollups_rebuild()

    assert cells() == incremental
    [(_, _, counts)] = cells(DeliveryRollup).values()
    assert counts == {rollups.latency_bucket(timedelta(seconds=latency)): 1}


def test_latency_buckets_are_log_spaced_and_bounded():
    assert rollups.latency_bucket(0.2) == 0
    assert rollups.latency_bucket(1) == 1
    assert rollups.latency_bucket(1.5) == 2
    assert rollups.latency_bucket(10**9) == len(rollups.LATENCY_EDGES)
    assert 2.8 < rollups.latency_bucket_value(rollups.latency_bucket(3)) < 3.5


# --- incremental == rebuilt, on random traffic ------------------------------------------

STATUSES = ["submitted", "sent", "delivered", "read", "failed", "rejected", "expired", "unknown"]

a_report = hs.builds(
    lambda mid, status, minute, late, operator, ref, code, duration: report(
        f"m{mid}",
        status,
        submitted_at=T0 + timedelta(minutes=minute) if minute is not None else None,
        event_time=T0 + timedelta(minutes=minute or 0, seconds=late),
        operator=operator,
        client_ref=ref,
        error_code=code if status in ("failed", "rejected", "expired") else "",
        channel="voice" if duration is not None else "sms",
        call_duration=duration,
    ),
    mid=hs.integers(0, 5),
    status=hs.sampled_from(STATUSES),
    minute=hs.one_of(hs.none(), hs.integers(0, 3 * 24 * 60), hs.integers(0, 180)),
    late=hs.integers(0, 4000),
    operator=hs.sampled_from(["", "JIO", "AIRTEL"]),
    ref=hs.sampled_from(["", "otp_1", "promo_diwali_2", "promo_3"]),
    code=hs.sampled_from(["", "DND", "001"]),
    duration=hs.one_of(hs.none(), hs.integers(0, 90)),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=hs.lists(hs.lists(a_report, min_size=1, max_size=6), min_size=1, max_size=6))
def test_incremental_rollups_equal_rebuilt_rollups_on_random_reports(batches):
    Campaign.objects.get_or_create(ref_prefix="otp_", defaults={"name": "OTP"})
    Campaign.objects.get_or_create(ref_prefix="promo_", defaults={"name": "Promo"})
    Campaign.objects.get_or_create(ref_prefix="promo_diwali_", defaults={"name": "Diwali"})
    try:
        for batch in batches:
            # Each batch may repeat reports (duplicates) and mixes statuses in any order.
            reports_apply(items=[(r, None) for r in batch + batch[:1]])
        incremental = cells()

        rollup_rebuild.rollups_rebuild()

        assert cells() == incremental
        for tier in (DeliveryRollup, DeliveryRollupDaily):
            counted = sum(n for n, _, _ in cells(tier).values())
            assert counted == Message.objects.count()
    finally:
        # Hypothesis reuses the test's transaction across examples.
        Message.objects.all().delete()
        ReportKey.objects.all().delete()
        rollups_clear()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_for_one_new_message_count_it_once():
    """Two workers apply `sent` and `delivered` for a message neither has seen: the loser of
    the insert race must move the message, not count it a second time."""
    barrier = threading.Barrier(2)

    def apply(status: str) -> None:
        try:
            barrier.wait(timeout=10)
            reports_apply(items=[(report("race-1", status), None)])
        finally:
            connection.close()

    for _ in range(5):
        threads = [threading.Thread(target=apply, args=(s,)) for s in ("sent", "delivered")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        incremental = cells()

        assert status_counts() == {"delivered": 1}
        rollup_rebuild.rollups_rebuild()
        assert cells() == incremental
        Message.objects.all().delete()
        ReportKey.objects.all().delete()
        rollups_clear()
