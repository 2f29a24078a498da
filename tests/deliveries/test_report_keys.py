"""Deduplication lives in ReportKey, not in the (partitioned) history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from deliveries.bulk_messages import report_keys_claim
from deliveries.models import ReportKey, StatusEvent
from deliveries.reports import DeliveryReport
from deliveries.retention import report_keys_prune
from deliveries.services import reports_apply
from deliveries.status import Outcome, Status
from dlrdash.partitions import month_add, month_start, partition_name

from ..helpers import ON_POSTGRES

pytestmark = pytest.mark.django_db


def _report(status: Status = Status.DELIVERED) -> DeliveryReport:
    return DeliveryReport(
        provider="smstake",
        message_id="msg_jan31",
        status=status,
        provider_status=status.value,
        event_time=datetime(2026, 1, 31, 23, 58, tzinfo=UTC),
    )


def _partition_of(event: StatusEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM deliveries_statusevent WHERE id = %s",
            [event.pk],
        )
        return cursor.fetchone()[0]


def test_a_report_received_on_the_last_day_of_a_month_and_again_the_next_day_is_recorded_once():
    # The last hour of this month and the first of the next: both partitions exist on
    # PostgreSQL (migrations create the current month and two ahead).
    next_month = month_add(month_start(timezone.now()), 1)
    before, after = next_month - timedelta(hours=1), next_month + timedelta(hours=1)

    first = reports_apply(items=[(_report(), 1)], now=before)
    again = reports_apply(items=[(_report(), 2)], now=after)

    assert (first, again) == ([Outcome.APPLIED], [Outcome.DUPLICATE])
    event = StatusEvent.objects.get()
    assert (event.inbound_event_id, event.received_at) == (1, before)
    if ON_POSTGRES:
        assert _partition_of(event) == partition_name("deliveries_statusevent", before)


def test_claiming_keys_returns_those_seen_before_and_reserves_the_rest():
    now = timezone.now()
    assert report_keys_claim(["a", "b", "a"], now=now) == set()
    assert report_keys_claim(["b", "c"], now=now) == {"b"}
    assert set(ReportKey.objects.values_list("dedup_key", flat=True)) == {"a", "b", "c"}


def test_a_rolled_back_batch_releases_its_keys():
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("deliveries.services.rows_update", boom)
        with pytest.raises(RuntimeError):
            reports_apply(items=[(_report(), 1)])

    assert not ReportKey.objects.exists()
    assert reports_apply(items=[(_report(), 1)]) == [Outcome.APPLIED]


def test_keys_are_forgotten_after_their_retention_and_the_history_stays(settings):
    settings.RETENTION_REPORT_KEY_DAYS = 30
    now = timezone.now()
    reports_apply(items=[(_report(Status.SENT), 1)], now=now - timedelta(days=31))
    reports_apply(items=[(_report(Status.DELIVERED), 2)], now=now - timedelta(days=29))

    assert report_keys_prune(now=now, batch_size=1) == 1
    assert report_keys_prune(now=now) == 0
    assert ReportKey.objects.get().received_at == now - timedelta(days=29)
    assert StatusEvent.objects.count() == 2


def test_keys_outlive_the_retry_horizon_and_the_raw_bodies():
    # Reprocessing needs the raw body; a provider retries for 72 h. Either, later than the
    # key, would record a report twice.
    assert (
        max(django_settings.RETENTION_RAW_BODY_DAYS, 4) <= django_settings.RETENTION_REPORT_KEY_DAYS
    )
