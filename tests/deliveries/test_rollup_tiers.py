"""Long ranges read whole days from the daily tier and the edges hourly, and every figure is
exactly what the hourly cells alone give."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversions.services import conversions_record
from deliveries import analytics, comparison, rollup_reads
from deliveries.conversion_stats import conversion_stats
from deliveries.models import DeliveryRollup, DeliveryRollupDaily, Message
from deliveries.rollup_rebuild import rollups_rebuild
from deliveries.services import reports_apply
from deliveries.slices import Slice
from deliveries.trust import routes_trust

from .test_rollups import cells, report
from .traffic import traffic_apply

pytestmark = pytest.mark.django_db

# Not on an hour: ranges ending now have a partial last hour, and a partial first one.
NOW = datetime(2026, 11, 20, 15, 41, 7, tzinfo=UTC)


@pytest.fixture
def weeks_of_traffic() -> None:
    """Six weeks of traffic, of every channel and outcome, some still pending (inside their
    validity window or past it)."""
    traffic_apply(messages=300, seed=5, now=NOW, spread_hours=24 * 42)
    # A third of the delivered messages converted, a minute after they were sent.
    delivered = Message.objects.filter(status="delivered").exclude(submitted_at=None)
    conversions_record(
        items=[
            {"id": m.pk, "converted_at": (m.submitted_at or NOW) + timedelta(minutes=1)}
            for m in delivered.order_by("pk")[::3]
        ]
    )


@pytest.fixture
def hours_only_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to switch the daily tier off for the reads that follow."""
    hourly = rollup_reads.rollup_cells

    def rollup_cells(**kwargs: Any) -> Any:
        return hourly(**{**kwargs, "days": False})

    def switch_off() -> None:
        monkeypatch.setattr(analytics, "rollup_cells", rollup_cells)
        monkeypatch.setattr(comparison, "rollup_cells", rollup_cells)
        monkeypatch.setattr(rollup_reads, "rollup_cells", rollup_cells)

    return switch_off


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
