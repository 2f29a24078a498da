"""Long ranges read whole days from the daily tier and the edges hourly, and every figure is
exactly what the hourly cells alone give."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from conversions.services import conversions_record
from deliveries import analytics, comparison, rollup_reads
from deliveries.conversion_stats import conversion_stats
from deliveries.models import DeliveryRollup, DeliveryRollupDaily, Message
from deliveries.rollup_rebuild import rollups_rebuild
from deliveries.slices import Slice
from deliveries.trust import routes_trust

from ..helpers import module_rows
from .test_rollups import cells
from .traffic import traffic_apply

pytestmark = pytest.mark.django_db

# Not on an hour: ranges ending now have a partial last hour, and a partial first one.
NOW = datetime(2026, 11, 20, 15, 41, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def weeks_of_traffic(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Six weeks of traffic, of every channel and outcome, some still pending (inside their
    validity window or past it); made once, every test of the module reads it."""
    with module_rows(django_db_blocker):
        traffic_apply(messages=300, seed=5, now=NOW, spread_hours=24 * 42)
        # A third of the delivered messages converted, a minute after they were sent.
        delivered = Message.objects.filter(status="delivered").exclude(submitted_at=None)
        conversions_record(
            items=[
                {"id": m.pk, "converted_at": (m.submitted_at or NOW) + timedelta(minutes=1)}
                for m in delivered.order_by("pk")[::3]
            ]
        )
        yield


def figures_of(slice: Slice) -> dict[str, Any]:
    """Every read the pages and the API make of a slice."""
    found: dict[str, Any] = {}
    for group_by in (None, *analytics.GROUP_BY_CHOICES):
        stats = analytics.delivery_stats(slice=slice, group_by=group_by, now=NOW)
        found[f"stats {group_by}"] = (stats.totals, stats.groups)
    found["overview"] = analytics.delivery_overview(
        slice=slice, group_bys=tuple(analytics.DIMENSIONS), now=NOW
    )
    found["campaigns"] = [
        (row.campaign.pk, row.figures, row.trend)
        for row in analytics.campaigns_overview(since=slice.since, until=slice.until, now=NOW)
    ]
    found["compare"] = comparison.providers_compare(slice=slice, now=NOW)
    found["conversion"] = conversion_stats(slice=slice, group_bys=["campaign", "provider"])
    found["trust"] = routes_trust(slice=slice, min_delivered=1)
    return found


RANGES = [
    pytest.param(timedelta(days=30), id="30 days"),
    pytest.param(timedelta(days=90), id="90 days"),
    pytest.param(timedelta(days=9, hours=7, minutes=13), id="odd edges"),
    pytest.param(timedelta(hours=24), id="24 hours"),
]


@pytest.mark.parametrize("length", RANGES)
# Local days: UTC's, India's (from 18:30 UTC) and New York's (from 04:00 or 05:00 UTC, the
# change on 1 Nov inside the longer ranges).
@pytest.mark.parametrize(
    "zone",
    [
        pytest.param("UTC", marks=pytest.mark.slow),  # the inner loop keeps the default zone
        "Asia/Kolkata",
        pytest.param("America/New_York", marks=pytest.mark.slow),
    ],
)
def test_a_range_read_by_day_equals_the_same_range_read_by_hour(
    weeks_of_traffic: None, length: timedelta, zone: str, hours_only_later: Callable[[], None]
) -> None:
    whole = Slice(since=NOW - length, until=NOW)
    one_channel = Slice(since=NOW - length, until=NOW - timedelta(hours=5), channel="sms")
    with timezone.override(zone):
        tiered = [figures_of(whole), figures_of(one_channel)]
        assert tiered[0]["stats None"][0].sent > 0
        assert tiered[0]["conversion"].totals.converted > 0

        hours_only_later()

        assert [figures_of(whole), figures_of(one_channel)] == tiered


def test_a_month_reads_the_daily_cells_and_hours_only_at_its_edges(weeks_of_traffic: None):
    month = Slice(since=NOW - timedelta(days=30), until=NOW)
    tiers = rollup_reads.rollup_cells(slice=month, now=NOW)

    # The whole days, the pending hours of the days the validity windows start in (for
    # "no DLR" only), then the hours before the first midnight and after the last one.
    assert [(t.cells.model, t.counts) for t in tiers] == [
        (DeliveryRollupDaily, True),
        (DeliveryRollup, False),
        (DeliveryRollup, True),
        (DeliveryRollup, True),
    ]
    days = set(tiers[0].cells.values_list("bucket", flat=True))
    assert (min(days), max(days)) == (
        datetime(2026, 10, 22, tzinfo=UTC),
        datetime(2026, 11, 19, tzinfo=UTC),
    )
    assert set(tiers[1].cells.values_list("status", flat=True)) <= {"sent", "submitted", "queued"}
    with CaptureQueriesContext(connection) as queries:
        analytics.delivery_stats(slice=month, group_by="provider", now=NOW)
    assert len(queries) == 1
    assert DeliveryRollupDaily._meta.db_table in queries[0]["sql"]


def test_in_india_a_month_by_day_reads_the_daily_cells_and_a_few_hours_of_each_day(
    weeks_of_traffic: None,
):
    month = Slice(since=NOW - timedelta(days=30), until=NOW)
    with timezone.override("Asia/Kolkata"), CaptureQueriesContext(connection) as queries:
        rows = analytics.campaigns_overview(since=month.since, until=month.until, now=NOW)
        series = analytics.delivery_series(slice=month, per="day", now=NOW)

    daily_reads = [q for q in queries if DeliveryRollupDaily._meta.db_table in q["sql"]]
    assert len(daily_reads) == 2  # one for the campaigns, one for the series
    # 21 Oct 21:11 to 20 Nov 21:11 in India: 31 local days, every message in one of them;
    # the campaigns' sparklines are per UTC day (21 Oct 15:41 to 20 Nov 15:41: 31 too).
    assert len(series) == 31 and series[0].label == "21 Oct"
    assert rows and any(row.figures.sent for row in rows)
    assert all(len(row.trend) == 31 and sum(row.trend) == row.figures.sent for row in rows)


def test_a_day_is_read_from_hours_only(weeks_of_traffic: None):
    day = Slice(since=NOW - timedelta(hours=24), until=NOW)

    tiers = rollup_reads.rollup_cells(slice=day, now=NOW)

    assert [t.cells.model for t in tiers] == [DeliveryRollup]


def test_incremental_daily_cells_equal_a_rebuild_of_weeks_of_traffic(weeks_of_traffic: None):
    incremental = cells()
    assert len(cells(DeliveryRollupDaily)) < len(cells(DeliveryRollup))

    rollups_rebuild()

    assert cells() == incremental
