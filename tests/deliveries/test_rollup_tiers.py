"""Long ranges read whole days from the daily tier and the edges hourly, and every figure is
exactly what the hourly cells alone give."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries import analytics, comparison, rollup_reads
from deliveries.models import DeliveryRollup, DeliveryRollupDaily
from deliveries.rollups import rollups_rebuild
from deliveries.slices import Slice

from .test_rollups import cells
from .traffic import traffic_apply

pytestmark = pytest.mark.django_db

# Not on an hour: ranges ending now have a partial last hour, and a partial first one.
NOW = datetime(2026, 11, 20, 15, 41, 7, tzinfo=UTC)


@pytest.fixture
def weeks_of_traffic() -> None:
    """Six weeks of traffic, of every channel and outcome, some still pending (inside their
    validity window or past it)."""
    traffic_apply(messages=300, seed=5, now=NOW, spread_hours=24 * 42)


@pytest.fixture
def hours_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The same reads with the daily tier switched off."""
    hourly = rollup_reads.rollup_cells

    def rollup_cells(**kwargs: Any) -> Any:
        return hourly(**{**kwargs, "days": False})

    with monkeypatch.context() as patch:
        patch.setattr(analytics, "rollup_cells", rollup_cells)
        patch.setattr(comparison, "rollup_cells", rollup_cells)
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
    return found


RANGES = [
    pytest.param(timedelta(days=30), id="30 days"),
    pytest.param(timedelta(days=90), id="90 days"),
    pytest.param(timedelta(days=9, hours=7, minutes=13), id="odd edges"),
    pytest.param(timedelta(hours=24), id="24 hours"),
]


@pytest.mark.parametrize("length", RANGES)
def test_a_range_read_by_day_equals_the_same_range_read_by_hour(
    weeks_of_traffic: None, length: timedelta, request: pytest.FixtureRequest
) -> None:
    whole = Slice(since=NOW - length, until=NOW)
    one_channel = Slice(since=NOW - length, until=NOW - timedelta(hours=5), channel="sms")
    tiered = [figures_of(whole), figures_of(one_channel)]
    assert tiered[0]["stats None"][0].sent > 0

    request.getfixturevalue("hours_only")

    assert [figures_of(whole), figures_of(one_channel)] == tiered


def test_a_month_reads_the_daily_cells_and_hours_only_at_its_edges(weeks_of_traffic: None):
    month = Slice(since=NOW - timedelta(days=30), until=NOW)
    tiers = rollup_reads.rollup_cells(slice=month, now=NOW)

    assert [tier.model for tier in tiers] == [DeliveryRollupDaily, DeliveryRollup, DeliveryRollup]
    # Whole days from the first midnight in the range to the last one before the longest
    # validity window (WhatsApp's 72 h) began; the hours around them come from the hourly tier.
    days = set(tiers[0].values_list("bucket", flat=True))
    assert min(days) == datetime(2026, 10, 22, tzinfo=UTC)
    assert max(days) == datetime(2026, 11, 16, tzinfo=UTC)
    with CaptureQueriesContext(connection) as queries:
        analytics.delivery_stats(slice=month, group_by="provider", now=NOW)
    assert len(queries) == 1
    assert DeliveryRollupDaily._meta.db_table in queries[0]["sql"]


def test_a_day_is_read_from_hours_only(weeks_of_traffic: None):
    day = Slice(since=NOW - timedelta(hours=24), until=NOW)

    assert {t.model for t in rollup_reads.rollup_cells(slice=day, now=NOW)} == {DeliveryRollup}


def test_incremental_daily_cells_equal_a_rebuild_of_weeks_of_traffic(weeks_of_traffic: None):
    incremental = cells()
    assert len(cells(DeliveryRollupDaily)) < len(cells(DeliveryRollup))

    rollups_rebuild()

    assert cells() == incremental
