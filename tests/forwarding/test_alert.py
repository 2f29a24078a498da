"""A receiver failing for an hour raises an alert through the alerts app, and recovery
resolves it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule
from alerts.services import rules_evaluate
from forwarding.drain import deliveries_drain
from forwarding.models import Subscription

from .test_sending import _delivered

pytestmark = pytest.mark.django_db


def test_a_receiver_failing_for_an_hour_raises_an_alert_that_recovery_resolves(
    receiver, subscription
):
    receiver.answer = lambda _: (503, b"", {})
    _delivered()
    t0 = timezone.now()
    deliveries_drain(now=t0)  # the first failure: the rule appears
    assert AlertRule.objects.filter(kind="forwarding").exists()

    assert rules_evaluate(now=t0 + timedelta(minutes=30)) == 0
    assert rules_evaluate(now=t0 + timedelta(minutes=61)) == 1
    alert = Alert.objects.get()
    assert subscription.name in alert.summary

    receiver.answer = lambda _: (204, b"", {})
    Subscription.objects.update(paused_until=None)
    deliveries_drain(now=t0 + timedelta(minutes=62))
    assert rules_evaluate(now=t0 + timedelta(minutes=63)) == 1
    alert.refresh_from_db()
    assert alert.state == "resolved"
