"""One range for every view of the messages: a message is in a range by its submit time,
else the time dlrdash stored it, on the dashboard, in its CSV export, in the admin's
drill-down and in the API's `submitted_after` / `submitted_before`."""

import csv
import io
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.times import time_display
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.slices import Slice
from deliveries.status import Status

from ..factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_today() -> datetime:
    """Two messages stored now: one submitted yesterday morning (its report came late),
    one whose provider gave no submit time."""
    now = timezone.now()
    yesterday = timezone.localdate(now) - timedelta(days=1)
    submitted = timezone.make_aware(datetime.combine(yesterday, time(10, 15)))
    reports = [
        DeliveryReport(
            provider="smstake",
            message_id="late-report",
            status=Status.DELIVERED,
            provider_status="delivered",
            submitted_at=submitted,
            delivered_at=submitted + timedelta(seconds=4),
            event_time=submitted + timedelta(seconds=4),
        ),
        DeliveryReport(
            provider="wavix",
            message_id="no-submit-time",
            status=Status.DELIVERED,
            provider_status="delivered",
            event_time=now,
        ),
    ]
    reports_apply(items=[(r, None) for r in reports], now=now)
    return now


def day(moment: datetime, offset: int) -> Slice:
    start = timezone.make_aware(
        datetime.combine(timezone.localdate(moment) + timedelta(days=offset), time())
    )
    return Slice(since=start, until=min(start + timedelta(days=1), moment))


def counted_everywhere(client: Client, chosen: Slice) -> dict[str, set[str] | int]:
    dashboard = client.get(f"/dashboard/?{chosen.query()}")
    export: Any = client.get(f"/dashboard/export/messages.csv?{chosen.message_query()}")
    header, *rows = csv.reader(io.StringIO(b"".join(export.streaming_content).decode()))
    listing = client.get(chosen.messages_url())
    start, end = chosen.bounds()
    api = client.get(
        "/api/v1/messages/",
        {"submitted_after": start.isoformat(), "submitted_before": end.isoformat()},
    )
    return {
        "dashboard": dashboard.context["totals"].sent,
        "csv": {row[header.index("message_id")] for row in rows},
        "admin": {m.message_id for m in listing.context["cl"].result_list},
        "api": {m["message_id"] for m in api.json()["results"]},
    }


def test_a_message_submitted_yesterday_and_stored_today_counts_yesterday_everywhere(
    stored_today,
):
    client = Client()
    client.force_login(make_user("Administrator", superuser=True))

    yesterday = counted_everywhere(client, day(stored_today, -1))
    today = counted_everywhere(client, day(stored_today, 0))

    assert yesterday == {
        "dashboard": 1,
        "csv": {"late-report"},
        "admin": {"late-report"},
        "api": {"late-report"},
    }
    # No submit time: in range by the time it was stored.
    assert today == {
        "dashboard": 1,
        "csv": {"no-submit-time"},
        "admin": {"no-submit-time"},
        "api": {"no-submit-time"},
    }


def test_the_page_states_its_range_in_whole_hours(stored_today):
    client = Client()
    client.force_login(make_user("Campaign manager"))
    chosen = Slice(
        since=stored_today - timedelta(hours=5, minutes=20),
        until=stored_today - timedelta(hours=1, minutes=10),
    )

    page = client.get(f"/dashboard/?{chosen.query()}").content.decode()

    start, end = chosen.bounds()
    assert (start.minute, start.second, end.minute, end.second) == (0, 0, 0, 0)
    with timezone.override(settings.DISPLAY_TIME_ZONE):  # the zone people read pages in
        shown = f"Messages submitted between {time_display(start)} and {time_display(end)}"
    assert shown in page
