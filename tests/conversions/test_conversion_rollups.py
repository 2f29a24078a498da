"""Conversions in the rollups: counted as they arrive, equal to a rebuild from `Message`."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from conversions.models import Conversion
from conversions.services import conversions_record
from deliveries import rollup_rebuild
from deliveries.conversion_histogram import CONVERSION_COLUMNS
from deliveries.latency import latency_bucket
from deliveries.models import ROLLUP_CELL_KEY, DeliveryRollup, Message, ReportKey
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..helpers import examples

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)
COUNTS = ("messages", "call_seconds", "converted")


def cells() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Non-empty cells: key → (counts, non-empty latency and conversion columns)."""
    found = {}
    for values in DeliveryRollup.objects.values():
        row: dict[str, Any] = dict(values)
        counts = tuple(row[c] for c in COUNTS)
        histograms = {c: n for c, n in row.items() if c[:4] in ("lat_", "cvt_") and n}
        if any(counts) or histograms:
            key = tuple(row[c] for c in ROLLUP_CELL_KEY)
            found[key] = (counts, histograms)
    return found


def report(mid: int, status: str, minute: int | None, late: int, operator: str) -> DeliveryReport:
    return DeliveryReport(
        provider="smstake",
        message_id=f"m{mid}",
        status=Status(status),
        provider_status=status.upper(),
        channel="sms",
        operator=operator,
        client_ref=f"otp_{mid % 3}",
        submitted_at=T0 + timedelta(minutes=minute) if minute is not None else None,
        event_time=T0 + timedelta(minutes=minute or 0, seconds=late),
    )


a_step = hs.one_of(
    hs.builds(
        report,
        mid=hs.integers(0, 5),
        status=hs.sampled_from(["sent", "delivered", "read", "failed", "unknown"]),
        minute=hs.one_of(hs.none(), hs.integers(0, 150)),
        late=hs.integers(0, 4000),
        operator=hs.sampled_from(["", "JIO", "AIRTEL"]),
    ),
    # A conversion: by provider id or by journey, seconds after T0 (some before a submit).
    hs.fixed_dictionaries(
        {
            "mid": hs.integers(0, 5),
            "journey": hs.booleans(),
            "seconds": hs.integers(-60, 20_000),
        }
    ),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=hs.lists(a_step, min_size=1, max_size=20))
def test_incremental_rollups_with_conversions_equal_a_rebuild(steps):
    try:
        for step in steps:
            if isinstance(step, DeliveryReport):
                reports_apply(items=[(step, None)])
                continue
            at = T0 + timedelta(seconds=step["seconds"])
            ref = {"client_ref": f"otp_{step['mid'] % 3}"}
            key = {"provider": "smstake", "message_id": f"m{step['mid']}"}
            conversions_record(items=[{**(ref if step["journey"] else key), "converted_at": at}])
        incremental = cells()

        rollup_rebuild.rollups_rebuild()

        assert cells() == incremental
        assert sum(counts[2] for counts, _ in incremental.values()) == (
            Message.objects.filter(converted_at__isnull=False).count()
        )
    finally:
        Conversion.objects.all().delete()
        Message.objects.all().delete()
        ReportKey.objects.all().delete()
        DeliveryRollup.objects.all().delete()


def test_time_to_convert_is_counted_from_submission_in_the_latency_buckets():
    reports_apply(items=[(report(1, "delivered", 0, 3, "JIO"), None)])

    conversions_record(
        items=[
            {"provider": "smstake", "message_id": "m1", "converted_at": T0 + timedelta(seconds=45)}
        ]
    )

    cell = DeliveryRollup.objects.get()
    column = CONVERSION_COLUMNS[latency_bucket(45)]
    assert (cell.converted, getattr(cell, column)) == (1, 1)
