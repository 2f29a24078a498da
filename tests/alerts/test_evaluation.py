"""Rule evaluation on synthetic messages and rollups: fires, guards, fires once, resolves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule
from alerts.services import rules_evaluate
from deliveries.rollup_rebuild import rollups_rebuild
from webhooks.models import WebhookEndpoint

from .conftest import messages_make

pytestmark = pytest.mark.django_db

# Mid-hour, so a 30-minute window starts inside the same hour and the baseline ends before it.
NOW = timezone.now().replace(minute=50, second=0, microsecond=0)


def baseline(share: float = 0.96, *, operator: str = "AIRTEL", per_hour: int = 50) -> None:
    """A healthy (or not) previous day: one batch every two hours for 24 hours."""
    for hours_ago in range(2, 26, 2):
        messages_make(
            per_hour, at=NOW - timedelta(hours=hours_ago), delivered_share=share, operator=operator
        )


def rate_rule(**fields: object) -> AlertRule:
    defaults: dict[str, object] = {
        "name": "infobip Airtel",
        "provider": "infobip",
        "operator": "AIRTEL",
        "window_minutes": 30,
        "min_volume": 100,
        "threshold_points": 10.0,
        "email_recipients": "",
        "webhook_url": "",
    }
    return AlertRule.objects.create(**{**defaults, **fields})


def test_a_delivery_rate_drop_fires_an_alert() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.70)
    rollups_rebuild()
    rule = rate_rule()

    assert rules_evaluate(now=NOW) == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.state == Alert.State.FIRED
    assert alert.observed == pytest.approx(70.0)
    assert alert.baseline == pytest.approx(96.0)
    assert alert.volume == 200
    assert alert.window_since == NOW - timedelta(minutes=30)
    assert "70.0 %" in alert.summary and "96.0 %" in alert.summary


def test_ten_messages_never_page_anyone() -> None:
    baseline(0.96)
    messages_make(10, at=NOW - timedelta(minutes=10), delivered_share=0.0)
    rollups_rebuild()
    rate_rule()

    assert rules_evaluate(now=NOW) == 0
    assert not Alert.objects.exists()


def test_a_thin_baseline_is_not_judged_either() -> None:
    messages_make(50, at=NOW - timedelta(hours=5), delivered_share=0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.5)
    rollups_rebuild()
    rate_rule()

    assert rules_evaluate(now=NOW) == 0


def test_a_small_dip_under_the_threshold_does_not_fire() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.90)
    rollups_rebuild()
    rate_rule()

    assert rules_evaluate(now=NOW) == 0


def test_an_open_alert_does_not_fire_again_on_the_next_evaluation() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.70)
    rollups_rebuild()
    rule = rate_rule()

    rules_evaluate(now=NOW)
    assert rules_evaluate(now=NOW + timedelta(minutes=1)) == 0
    assert rules_evaluate(now=NOW + timedelta(minutes=2)) == 0

    assert Alert.objects.filter(rule=rule).count() == 1


def test_the_alert_resolves_when_the_rate_recovers_and_a_new_drop_is_a_new_alert() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.70)
    rollups_rebuild()
    rule = rate_rule()
    rules_evaluate(now=NOW)

    later = NOW + timedelta(minutes=40)
    messages_make(200, at=later - timedelta(minutes=5), delivered_share=0.95)
    rollups_rebuild()
    assert rules_evaluate(now=later) == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.state == Alert.State.RESOLVED
    assert alert.resolved_at == later

    again = later + timedelta(minutes=40)
    messages_make(200, at=again - timedelta(minutes=5), delivered_share=0.60)
    rollups_rebuild()
    assert rules_evaluate(now=again) == 1
    assert Alert.objects.filter(rule=rule).count() == 2


def test_a_rate_inside_the_hysteresis_band_keeps_the_alert_open() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.70)
    rollups_rebuild()
    rule = rate_rule(threshold_points=10.0, resolve_margin_points=3.0)
    rules_evaluate(now=NOW)

    # 87.5 %: 8.5 points under the baseline, under the 10-point threshold but not by 3.
    later = NOW + timedelta(minutes=40)
    messages_make(200, at=later - timedelta(minutes=5), delivered_share=0.875)
    rollups_rebuild()

    assert rules_evaluate(now=later) == 0
    assert Alert.objects.get(rule=rule).resolved_at is None


def test_a_collapse_on_another_operator_does_not_trip_the_airtel_rule() -> None:
    baseline(0.96)
    baseline(0.96, operator="JIO")
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.95)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.40, operator="JIO")
    rollups_rebuild()
    rate_rule()

    assert rules_evaluate(now=NOW) == 0


def test_a_standard_deviation_threshold_follows_the_baselines_own_noise() -> None:
    # A noisy baseline (hours alternating 80 % and 100 %): a 75 % window is within 3 sigma.
    for i, hours_ago in enumerate(range(2, 26, 2)):
        share = 0.8 if i % 2 else 1.0
        messages_make(50, at=NOW - timedelta(hours=hours_ago), delivered_share=share)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.75)
    rollups_rebuild()
    rule = rate_rule(threshold_sigmas=3.0)

    assert rules_evaluate(now=NOW) == 0

    rule.threshold_sigmas = 1.0
    rule.save()
    assert rules_evaluate(now=NOW) == 1


def test_an_error_code_spike_fires_on_its_share_of_final_reports() -> None:
    for hours_ago in range(2, 26, 2):
        messages_make(50, at=NOW - timedelta(hours=hours_ago), delivered_share=0.96, error_code="1")
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.80, error_code="1207")
    rollups_rebuild()
    rule = rate_rule(kind=AlertRule.Kind.ERROR_SPIKE, error_code="1207", threshold_points=5.0)

    assert rules_evaluate(now=NOW) == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.observed == pytest.approx(20.0)
    assert alert.baseline == pytest.approx(0.0)


def test_failures_with_other_codes_are_not_a_spike_of_this_one() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.50, error_code="OTHER")
    rollups_rebuild()
    rate_rule(kind=AlertRule.Kind.ERROR_SPIKE, error_code="1207", threshold_points=5.0)

    assert rules_evaluate(now=NOW) == 0


def test_a_dlt_template_rule_is_counted_from_messages() -> None:
    for hours_ago in range(2, 26, 2):
        messages_make(
            20, at=NOW - timedelta(hours=hours_ago), delivered_share=0.95, dlt_template_id="1207"
        )
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.95)
    messages_make(150, at=NOW - timedelta(minutes=10), delivered_share=0.5, dlt_template_id="1207")
    rule = rate_rule(provider="", operator="", dlt_template_id="1207")  # no rollups needed

    assert rules_evaluate(now=NOW) == 1
    assert Alert.objects.get(rule=rule).observed == pytest.approx(50.0)


def test_no_dlr_from_an_endpoint_fires_and_resolves_when_it_receives_again() -> None:
    endpoint = WebhookEndpoint.objects.create(provider="infobip", slug="infobip-main")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        created_at=NOW - timedelta(days=3), last_received_at=NOW - timedelta(minutes=20)
    )
    rule = rate_rule(kind=AlertRule.Kind.NO_DLR, endpoint=endpoint, window_minutes=15)

    assert rules_evaluate(now=NOW) == 1
    alert = Alert.objects.get(rule=rule)
    assert "infobip-main" in alert.summary and "20 min" in alert.summary
    assert rules_evaluate(now=NOW + timedelta(minutes=1)) == 0

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_received_at=NOW)
    assert rules_evaluate(now=NOW + timedelta(minutes=2)) == 1
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED


def test_a_new_endpoint_that_never_received_is_not_silent_yet() -> None:
    WebhookEndpoint.objects.create(provider="infobip", slug="fresh")
    rate_rule(kind=AlertRule.Kind.NO_DLR, endpoint=WebhookEndpoint.objects.get(), window_minutes=15)

    assert rules_evaluate(now=timezone.now()) == 0


def test_inactive_rules_are_not_evaluated() -> None:
    baseline(0.96)
    messages_make(200, at=NOW - timedelta(minutes=10), delivered_share=0.10)
    rollups_rebuild()
    rate_rule(active=False)

    assert rules_evaluate(now=NOW) == 0
