"""`make run` shows everything: a firing alert, Wavix messages at their submit hours, the
demo's endpoint secrets, and endpoint URLs someone can paste."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.evaluation import rule_measure
from alerts.models import Alert, AlertRule
from deliveries.models import Message
from webhooks.models import WebhookEndpoint

from ..factories import roles_restore


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_setup_demo_leaves_a_firing_alert_and_dates_the_traffic_over_two_days(capsys):
    # Transactional: processing runs after each report's commit, as under `make run`.
    roles_restore()
    call_command("setup_demo", messages=300, verbosity=0)

    rule = AlertRule.objects.get()
    alert = Alert.objects.filter(resolved_at__isnull=True).first()
    assert alert is not None, rule_measure(rule, now=timezone.now()).summary
    assert alert.rule.provider == "infobip" and alert.rule.operator == "AIRTEL"
    assert alert.observed is not None and alert.baseline is not None
    assert alert.baseline - alert.observed >= alert.rule.threshold_points

    # Rows are dated when their reports would have arrived, not all in this minute.
    oldest = Message.objects.order_by("created_at").first()
    assert oldest is not None and oldest.created_at < timezone.now() - timedelta(hours=24)
    wavix = Message.objects.filter(provider="wavix")
    assert wavix.exists() and not wavix.filter(submitted_at__isnull=True).exists()
    hours = {
        m.submitted_at.replace(minute=0, second=0, microsecond=0) for m in wavix if m.submitted_at
    }
    assert len(hours) > 5

    out = capsys.readouterr().out
    assert "1 open on http://127.0.0.1:8000/alerts/" in out
    for endpoint in WebhookEndpoint.objects.all():
        assert f"{endpoint.get_absolute_url()}   secret: {endpoint.secrets[0]}" in out


@pytest.mark.django_db
def test_create_endpoint_prints_an_absolute_url_from_the_setting_or_the_option(settings, capsys):
    settings.PUBLIC_BASE_URL = "https://dlr.example.com"
    args = ["create_endpoint", "--provider", "wavix", "--slug", "acme", "--secret", "s3cret"]
    call_command(*args)
    assert "https://dlr.example.com/webhooks/acme/" in capsys.readouterr().out

    call_command(*args, "--base-url", "https://hooks.example.org/")
    assert "https://hooks.example.org/webhooks/acme/" in capsys.readouterr().out
