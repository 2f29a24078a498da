from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Count

from deliveries import status as st
from deliveries.comparison import SloShare, providers_compare
from deliveries.latency import LATENCY_COLUMNS, latency_bucket_bounds
from deliveries.models import DeliveryRollup, Message
from deliveries.rollups import latency_bucket
from deliveries.slices import Slice
from webhooks.simulation import Degradation

from ..factories import make_user
from .traffic import traffic_apply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
EVERYTHING: dict[str, Any] = {"since": NOW - timedelta(days=5), "until": NOW + timedelta(hours=1)}


def _direct(**filters: str) -> dict[str, dict[str, int]]:
    """Per provider: sent, delivered, failed, final, counted straight from Message."""
    out: dict[str, dict[str, int]] = {}
    rows = Message.objects.filter(**filters).values("provider", "status").annotate(n=Count("id"))
    for row in rows:
        counts = out.setdefault(row["provider"], {"sent": 0, "delivered": 0, "failed": 0})
        counts["sent"] += row["n"]
        kind = st.info(row["status"]).kind
        if kind in ("delivered", "failed"):
            counts[kind] += row["n"]
    return out


def test_comparison_figures_equal_direct_counts_from_messages():
    traffic_apply(messages=300, seed=11, now=NOW, infobip_share=0.4)

    chosen = Slice(**EVERYTHING, channel="sms", operator="AIRTEL")
    comparison = providers_compare(slice=chosen, now=NOW)

    direct = _direct(channel="sms", operator="AIRTEL")
    assert {c.provider for c in comparison.providers} == set(direct) >= {"smstake", "infobip"}
    for column in comparison.providers:
        expected = direct[column.provider]
        assert column.figures.sent == expected["sent"]
        assert column.figures.delivered == expected["delivered"]
        assert column.figures.failed == expected["failed"]
        assert column.figures.delivery_rate == expected["delivered"] / expected["sent"]
        assert column.figures.dlr_coverage == (
            (expected["delivered"] + expected["failed"]) / expected["sent"]
        )
        assert sum(f.sent for f in column.series) == expected["sent"]
    largest_first = [c.figures.sent for c in comparison.providers]
    assert largest_first == sorted(largest_first, reverse=True)


def test_top_errors_per_provider_count_the_messages_with_that_code():
    traffic_apply(messages=300, seed=12, now=NOW, infobip_share=0.4)

    comparison = providers_compare(slice=Slice(**EVERYTHING, channel="sms"), now=NOW)

    for column in comparison.providers:
        for error in column.top_errors:
            assert (
                error.messages
                == Message.objects.filter(
                    provider=column.provider, channel="sms", error_code=error.code
                ).count()
            )
        counts = [e.messages for e in column.top_errors]
        assert counts == sorted(counts, reverse=True)


def test_the_operator_filter_ignores_case_like_the_dashboard():
    traffic_apply(messages=120, seed=13, now=NOW, infobip_share=0.4)

    upper = providers_compare(slice=Slice(**EVERYTHING, operator="AIRTEL"), now=NOW)
    lower = providers_compare(slice=Slice(**EVERYTHING, operator="airtel"), now=NOW)

    assert [c.figures.sent for c in upper.providers] == [c.figures.sent for c in lower.providers]


def test_an_empty_slice_compares_no_providers():
    comparison = providers_compare(slice=Slice(**EVERYTHING), now=NOW)

    assert comparison.providers == []
    assert comparison.slo_by_operator == []


def test_a_comparison_over_two_days_is_bucketed_per_hour_and_longer_per_day():
    two_days = Slice(since=NOW - timedelta(hours=48), until=NOW)
    week = Slice(since=NOW - timedelta(days=7), until=NOW)
    assert providers_compare(slice=two_days).bucket == "hour"
    assert providers_compare(slice=week).bucket == "day"
    with pytest.raises(ValueError):
        providers_compare(slice=week, bucket="week")


# --- Latency SLO --------------------------------------------------------------------------


def _delivered(provider: str, operator: str, seconds: float, n: int, channel: str = "sms") -> None:
    cell, _ = DeliveryRollup.objects.get_or_create(
        bucket=NOW.replace(minute=0),
        provider=provider,
        channel=channel,
        operator=operator,
        status="delivered",
    )
    column = LATENCY_COLUMNS[latency_bucket(seconds)]
    cell.messages += n
    setattr(cell, column, (getattr(cell, column) or 0) + n)
    cell.save()


def test_slo_share_counts_delivered_messages_within_the_channel_target(settings):
    settings.LATENCY_SLO = {"sms": (10, 0.95), "whatsapp": (30, 0.9)}
    _delivered("slowtel", "AIRTEL", 3, 90)
    _delivered("slowtel", "AIRTEL", 40, 10)
    _delivered("fasttel", "AIRTEL", 2, 99)
    _delivered("fasttel", "AIRTEL", 40, 1)
    _delivered("fasttel", "JIO", 3, 50)

    comparison = providers_compare(slice=Slice(**EVERYTHING), now=NOW)

    slo = {c.provider: c.slo for c in comparison.providers}
    assert slo["slowtel"].share == pytest.approx(0.90)
    assert slo["slowtel"].objective == pytest.approx(0.95)
    assert slo["slowtel"].meets is False
    assert slo["fasttel"].share == pytest.approx(149 / 150)
    assert slo["fasttel"].meets is True
    per_operator = {(o.provider, o.operator): o.slo.delivered for o in comparison.slo_by_operator}
    assert per_operator == {("fasttel", "AIRTEL"): 100, ("fasttel", "JIO"): 50,
                            ("slowtel", "AIRTEL"): 100}  # fmt: skip


def test_the_bucket_holding_the_target_bounds_the_share_from_both_sides(settings):
    settings.LATENCY_SLO = {"sms": (10, 0.95)}
    low, high = latency_bucket_bounds(latency_bucket(10))
    assert low < 10 < high  # 10 s falls inside the [8 s, 11.3 s) bucket
    _delivered("midtel", "VI", 9.5, 20)
    _delivered("midtel", "VI", 2, 80)

    slo = providers_compare(slice=Slice(**EVERYTHING), now=NOW).providers[0].slo

    assert slo.share == pytest.approx(0.80)
    assert slo.share_upper == pytest.approx(1.0)
    assert slo.meets is None  # somewhere between 80 % and 100 %: the histogram cannot tell


def test_slo_objective_is_weighted_by_channel_when_channels_are_mixed(settings):
    settings.LATENCY_SLO = {"sms": (10, 0.95), "whatsapp": (30, 0.85)}
    share = SloShare()
    share.add(channel="sms", bucket=latency_bucket(2), n=50)
    share.add(channel="whatsapp", bucket=latency_bucket(20), n=50)
    share.add(channel="pigeon", bucket=latency_bucket(2), n=50)  # no target: not counted

    assert share.delivered == 100
    assert share.objective == pytest.approx(0.90)
    assert share.share == 1.0


# --- The degraded segment -----------------------------------------------------------------


def _delivered_share_of_final(provider: str, operator: str, since: datetime) -> float:
    column = next(
        c
        for c in providers_compare(
            slice=Slice(since=since, until=since + timedelta(minutes=30), operator=operator),
            now=NOW,
        ).providers
        if c.provider == provider
    )
    return column.figures.delivered / (column.figures.delivered + column.figures.failed)


def test_degrade_collapses_exactly_that_provider_on_that_operator_in_the_last_minutes():
    traffic_apply(
        messages=900,
        seed=21,
        now=NOW,
        spread_hours=1.5,
        wavix_share=0.0,
        infobip_share=0.5,
        degrade=Degradation.parse("infobip:AIRTEL:30:0.5"),
    )
    last_half_hour = NOW - timedelta(minutes=30)  # 12:00, its own hour bucket
    hour_before = NOW - timedelta(minutes=90)

    assert _delivered_share_of_final("infobip", "AIRTEL", last_half_hour) < 0.65
    assert _delivered_share_of_final("infobip", "AIRTEL", hour_before) > 0.85
    assert _delivered_share_of_final("smstake", "AIRTEL", last_half_hour) > 0.85
    assert _delivered_share_of_final("infobip", "JIO", last_half_hour) > 0.85
    degraded = Message.objects.filter(
        provider="infobip", operator="AIRTEL", submitted_at__gte=last_half_hour
    ).exclude(status__in=st.DELIVERED_STATUSES | st.PENDING_STATUSES)
    assert degraded.filter(error_code="DLT_TEMPLATE_MISMATCH").count() > degraded.count() / 2


@pytest.mark.parametrize(
    "value",
    ["infobip:AIRTEL", "infobip:AIRTEL:x", "infobip:AIRTEL:30:1.5", ":AIRTEL:30", "a:b:0"],
)
def test_a_malformed_degrade_option_is_refused(value):
    with pytest.raises(ValueError):
        Degradation.parse(value)


def test_degrade_option_reads_provider_operator_minutes_and_rate():
    assert Degradation.parse("Infobip:airtel:30") == Degradation("infobip", "AIRTEL", 30, 0.7)
    assert Degradation.parse("infobip:AIRTEL:30:0.7").rate == 0.7


# --- The /compare/ page -------------------------------------------------------------------


@pytest.fixture
def manager_client():
    from django.test import Client

    client = Client()
    client.force_login(make_user("Campaign manager", username="manager"))
    return client


def test_the_compare_page_shows_each_provider_against_the_same_slice(manager_client):
    from django.utils import timezone

    traffic_apply(messages=200, seed=14, now=timezone.now(), infobip_share=0.4)

    response = manager_client.get("/compare/", {"range": "7d", "operator": "AIRTEL"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "smstake" in page and "infobip" in page
    assert "Within latency SLO" in page
    assert 'id="compare-data"' in page
    assert "<script>" not in page  # data goes through json_script, code in static files
    assert "/dashboard/?range=custom" in page and "provider=infobip" in page


def test_the_compare_page_is_for_campaign_managers_and_administrators(client):
    assert client.get("/compare/").status_code == 302  # to the login
    client.force_login(make_user("Support"))
    assert client.get("/compare/").status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"range": "custom", "since": "nonsense"},
        {"range": "custom", "since": "2026-11-20T10:00", "until": "2026-11-19T10:00"},
        {"campaign": "x", "channel": "pigeon", "operator": "<b>"},
        {"range": "forever"},
    ],
)
def test_the_compare_page_shows_the_default_range_for_bad_parameters(manager_client, params):
    response = manager_client.get("/compare/", params)

    assert response.status_code == 200
    assert "Showing the default range instead." in response.content.decode()


def test_simulate_sends_infobip_traffic_with_operators_and_takes_the_degrade_option(
    django_capture_on_commit_callbacks,
):
    from django.core.management import call_command

    from webhooks.models import InboundEvent

    from ..conftest import run_worker

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "simulate", messages=60, seed=8, hours=1, degrade="infobip:AIRTEL:30:0.7", verbosity=0
        )
    run_worker()

    assert InboundEvent.objects.exclude(response_code=200).count() == 0
    infobip = Message.objects.filter(provider="infobip")
    assert infobip.exists()
    assert set(infobip.values_list("operator", flat=True)) <= {"JIO", "AIRTEL", "VI", "BSNL"}


@pytest.mark.parametrize("value", ["infobip:AIRTEL", "kannel:AIRTEL:30"])
def test_simulate_refuses_a_degrade_it_cannot_apply(value):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("simulate", messages=1, degrade=value, verbosity=0)
