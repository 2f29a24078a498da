"""No DLR on the dashboard: pending messages past their channel's validity window are
counted and listed, newest first, from a bounded range scan of the pending index."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries import analytics
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.slices import Slice
from deliveries.status import Status

from ..helpers import requires_postgres
from .test_rollup_tiers import NOW
from .test_rollups import report

pytestmark = pytest.mark.django_db


def sent(message_id: str, *, hours_ago: float, channel: str = "sms", to: str = "") -> None:
    """A message reported sent (no final report yet), submitted `hours_ago` hours ago."""
    report = DeliveryReport(
        provider="smstake",
        message_id=message_id,
        status=Status.SENT,
        provider_status="ENROUTE",
        channel=channel,
        to=to,
        submitted_at=timezone.now() - timedelta(hours=hours_ago),
    )
    reports_apply(items=[(report, None)])


def test_a_message_without_a_final_report_past_its_window_counts_as_no_dlr(manager_client):
    sent("old-1", hours_ago=50, to="+919876543210")

    response = manager_client.get("/dashboard/", {"range": "7d"})

    assert response.context["totals"].no_dlr == 1
    assert [m.message_id for m in response.context["stuck"]] == ["old-1"]
    page = response.content.decode()
    assert "2\xa0days" in page  # timesince, age from submission
    assert "+91 98••••3210" in page  # a campaign manager sees masked numbers


def test_a_late_real_report_supersedes_no_dlr(manager_client):
    sent("old-2", hours_ago=50)

    late = DeliveryReport(
        provider="smstake",
        message_id="old-2",
        status=Status.DELIVERED,
        provider_status="DELIVRD",
        event_time=timezone.now(),
    )
    reports_apply(items=[(late, None)])

    response = manager_client.get("/dashboard/", {"range": "7d"})
    assert response.context["totals"].no_dlr == 0
    assert response.context["totals"].delivered == 1
    assert response.context["stuck"] == []


def test_a_pending_message_inside_its_window_is_not_no_dlr(manager_client):
    sent("new-1", hours_ago=3)

    response = manager_client.get("/dashboard/", {"range": "7d"})

    assert (response.context["totals"].pending, response.context["totals"].no_dlr) == (1, 0)


def test_the_dashboard_reads_messages_only_for_the_bounded_no_dlr_list(manager_client, traffic):
    with CaptureQueriesContext(connection) as captured:
        manager_client.get("/dashboard/", {"range": "7d"})

    reads = [q["sql"] for q in captured if "deliveries_message" in q["sql"]]
    assert reads
    for sql in reads:
        assert "COALESCE" in sql and "LIMIT 50" in sql, sql  # message_pending, 50 rows at most


@requires_postgres
def test_the_no_dlr_list_is_a_range_scan_of_the_pending_index(manager_client, traffic):
    with CaptureQueriesContext(connection) as captured:
        manager_client.get("/dashboard/", {"range": "7d"})

    reads = [q["sql"] for q in captured if "deliveries_message" in q["sql"]]
    with connection.cursor() as cursor:
        # The tables are tiny here, so rule out the sequential scan a planner would rather do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Scan Backward using message_pending" in plan, plan
            assert "Seq Scan on deliveries_message" not in plan, plan


def test_the_no_dlr_list_is_newest_first_across_channels_and_respects_each_window(
    manager_client,
):
    sent("sms-50h", hours_ago=50)  # past its 48 h window
    sent("voice-3h", hours_ago=3, channel="voice")  # past its 2 h window
    sent("whatsapp-50h", hours_ago=50, channel="whatsapp")  # still inside its 72 h window
    sent("sms-10h", hours_ago=10)  # still inside

    response = manager_client.get("/dashboard/", {"range": "7d"})

    assert [m.message_id for m in response.context["stuck"]] == ["voice-3h", "sms-50h"]
    assert response.context["totals"].no_dlr == 2


# --- Months read from the daily tier count the same pending messages as hourly reads --------


def test_no_dlr_counts_the_past_hours_of_the_day_a_validity_window_starts_in(hours_only_later):
    """SMS are valid 48 h, WhatsApp 72 h: at NOW the SMS window starts on 18 Nov at 15:41, so
    of that day's pending SMS the one sent at 03:00 is past it and the one at 16:00 is not."""
    sent = [
        ("sms-16", "sms", datetime(2026, 11, 16, 9, 5, tzinfo=UTC)),  # a whole day past
        ("sms-18-early", "sms", datetime(2026, 11, 18, 3, 0, tzinfo=UTC)),
        ("sms-18-late", "sms", datetime(2026, 11, 18, 16, 0, tzinfo=UTC)),
        ("wa-17-early", "whatsapp", datetime(2026, 11, 17, 10, 0, tzinfo=UTC)),
        ("wa-17-late", "whatsapp", datetime(2026, 11, 17, 15, 0, tzinfo=UTC)),
    ]
    for message_id, channel, at in sent:
        reports_apply(
            items=[(report(message_id, "sent", channel=channel, submitted_at=at), None)],
            now=NOW,
        )
    month = Slice(since=NOW - timedelta(days=30), until=NOW)

    tiered = analytics.delivery_stats(slice=month, group_by="channel", now=NOW)
    hours_only_later()

    assert tiered.totals.no_dlr == 3
    assert analytics.delivery_stats(slice=month, group_by="channel", now=NOW) == tiered


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York"])
def test_no_dlr_moves_with_the_hours_that_start_on_another_local_day(zone, hours_only_later):
    """Pending SMS in the hours a local day takes from the next or previous UTC day (India's
    from 18:30 UTC, New York's until 05:00): past the window (it starts 18 Nov 15:41 UTC)
    on a whole day, on the day the window starts in, and one after it."""
    for i, at in enumerate(
        [
            datetime(2026, 11, 16, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 16, 20, 0, tzinfo=UTC),
            datetime(2026, 11, 17, 21, 30, tzinfo=UTC),
            datetime(2026, 11, 18, 3, 0, tzinfo=UTC),
            datetime(2026, 11, 18, 19, 0, tzinfo=UTC),  # inside the window
        ]
    ):
        reports_apply(items=[(report(f"sms-{i}", "sent", submitted_at=at), None)], now=NOW)
    month = Slice(since=NOW - timedelta(days=30), until=NOW)

    with timezone.override(zone):
        tiered = analytics.delivery_series(slice=month, per="day", now=NOW)
        hours_only_later()
        hourly = analytics.delivery_series(slice=month, per="day", now=NOW)

    assert sum(day.figures.no_dlr for day in tiered) == 4
    assert tiered == hourly
