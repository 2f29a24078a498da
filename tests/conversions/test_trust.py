"""DLR trust: a route whose "delivered" does not convert like its peers' is flagged."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from pytest_django import DjangoDbBlocker
from rest_framework.test import APIClient

from alerts.models import Alert, AlertRule
from alerts.services import rule_evaluate
from conversions.services import conversions_record
from deliveries.conversion_stats import conversion_stats
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.slices import Slice
from deliveries.status import Status
from deliveries.trust import difference_interval, routes_trust, wilson

from ..factories import PASSWORD, make_user
from ..helpers import module_rows

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WINDOW = Slice(since=T0, until=T0 + timedelta(hours=3))


def traffic(provider: str, n: int, *, fake_share: float, seed: int) -> None:
    """`n` OTPs to JIO by SMS: 90 % reported delivered, of which `fake_share` never reached
    the phone; 80 % of the real deliveries are verified within a minute."""
    rng = random.Random(seed)
    reports, conversions = [], []
    for i in range(n):
        at = T0 + timedelta(seconds=20 * i % 7200)
        delivered = rng.random() < 0.9
        report = DeliveryReport(
            provider=provider,
            message_id=f"{provider}-{i}",
            status=Status.DELIVERED if delivered else Status.UNDELIVERED,
            provider_status="DELIVRD" if delivered else "UNDELIV",
            channel="sms",
            operator="JIO",
            submitted_at=at,
            event_time=at + timedelta(seconds=3),
        )
        reports.append((report, None))
        if delivered and rng.random() >= fake_share and rng.random() < 0.8:
            conversions.append(
                {
                    "provider": provider,
                    "message_id": f"{provider}-{i}",
                    "converted_at": at + timedelta(seconds=rng.randint(5, 60)),
                }
            )
    reports_apply(items=reports)
    conversions_record(items=conversions)


@pytest.fixture(scope="module")
def routes(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Made once for the module's tests (1,840 reports), each test's writes undone."""
    with module_rows(django_db_blocker):
        traffic("smstake", 600, fake_share=0.0, seed=1)
        traffic("wavix", 600, fake_share=0.0, seed=2)
        traffic("infobip", 600, fake_share=0.3, seed=3)  # fakes 30 % of its deliveries
        traffic("tinyco", 40, fake_share=0.3, seed=4)  # the same, on too little traffic
        yield


def test_a_route_faking_30_percent_of_its_deliveries_is_flagged_and_a_small_one_is_not(routes):
    verdicts = {r.provider: r for r in routes_trust(slice=WINDOW)}

    assert verdicts["infobip"].suspect
    assert verdicts["infobip"].gap_low is not None and verdicts["infobip"].gap_low > 0.10
    assert not verdicts["smstake"].suspect and not verdicts["wavix"].suspect
    # Too few delivered messages to judge: neither flagged nor cleared.
    assert not verdicts["tinyco"].judged and not verdicts["tinyco"].suspect


def test_compare_page_shows_conversion_beside_delivery_and_flags_the_route(routes):
    make_user("Campaign manager", username="manager")
    client = Client()
    client.login(username="manager", password=PASSWORD)

    page = client.get(
        "/compare/",
        {"range": "custom", "since": "2026-11-20T09:00+00:00", "until": "2026-11-20T12:00+00:00"},
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "Conversion rate" in html and "conversion feedback" in html
    assert 'class="suspect"' in html and "infobip" in html
    assert "Wilson" in html  # the method, explained on the page


def test_the_interval_is_wide_on_little_data_and_narrow_on_much():
    small = difference_interval(8, 10, 5, 10)
    large = difference_interval(800, 1000, 500, 1000)

    assert small[0] < 0 < small[1]  # 80 % against 50 % of ten: could be chance
    assert 0.25 < large[0] < 0.30 < large[1] < 0.35
    assert wilson(0, 10)[0] == 0.0


def test_a_suspect_dlr_rule_fires_on_the_faking_route_only(routes):
    watch_all = AlertRule.objects.create(
        name="Suspect DLRs", kind=AlertRule.Kind.DLR_TRUST, window_minutes=360
    )
    watch_honest = AlertRule.objects.create(
        name="smstake DLRs", kind=AlertRule.Kind.DLR_TRUST, provider="smstake", window_minutes=360
    )

    now = T0 + timedelta(hours=3)
    assert rule_evaluate(rule=watch_all, now=now)
    assert not rule_evaluate(rule=watch_honest, now=now)
    alert = Alert.objects.get()
    assert "infobip/JIO/sms" in alert.summary


def test_stats_api_carries_conversion_figures_per_provider(routes):
    client = APIClient()
    client.force_authenticate(make_user("Campaign manager"))

    body = client.get(
        "/api/v1/stats/",
        {"since": "2026-11-20T09:00:00Z", "until": "2026-11-20T12:00:00Z", "group_by": "provider"},
    ).json()

    conversion = body["conversion"]
    by_provider = {g["key"]: g["figures"] for g in conversion["groups"]}
    assert conversion["tracked_campaigns"] == 1  # "no campaign", which reported conversions
    assert by_provider["smstake"]["conversion_rate"] > by_provider["infobip"]["conversion_rate"]
    assert by_provider["smstake"]["time_to_convert_p50"] is not None


def test_the_dashboard_shows_conversion_for_traffic_with_feedback_only(routes):
    make_user("Campaign manager", username="manager")
    client = Client()
    client.login(username="manager", password=PASSWORD)

    html = client.get(
        "/dashboard/",
        {"range": "custom", "since": "2026-11-20T09:00+00:00", "until": "2026-11-20T12:00+00:00"},
    ).content.decode()

    assert "Only traffic with conversion feedback" in html
    assert "By provider" in html and "By hour" in html


def test_every_breakdown_of_the_conversion_figures_adds_up_to_the_totals(routes):
    names = ["campaign", "provider", "operator", "channel", "hour", "day"]

    stats = conversion_stats(slice=WINDOW, group_bys=names)

    for name in names:
        groups = [g.figures for g in stats.groups[name]]
        assert sum(f.sent for f in groups) == stats.totals.sent, name
        assert sum(f.converted for f in groups) == stats.totals.converted, name
        assert sum(sum(f.histogram.values()) for f in groups) == stats.totals.converted, name
    assert stats.totals.sent == 1840 and stats.tracked_campaigns == 1
