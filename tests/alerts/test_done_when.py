"""The alerts' acceptance story: one provider's Airtel deliveries collapse for 30 minutes →
one alert, one signed webhook to a local receiver, one email, the right dashboard link;
the rate recovers → resolved, notified the same ways."""

import json
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import Alert, AlertNotification, AlertRule
from deliveries.rollup_rebuild import rollups_rebuild
from webhooks.providers.base import InboundRequest
from webhooks.providers.standard_webhooks import StandardWebhooksProvider

from ..conftest import run_worker
from .conftest import Receiver, messages_make

pytestmark = pytest.mark.django_db


def traffic(*, since_minutes: int, until_minutes: int, now, infobip_airtel: float) -> None:
    """Every 10 minutes: infobip and sinch on Airtel and Jio, 40 messages each."""
    for minutes_ago in range(since_minutes, until_minutes, -10):
        at = now - timedelta(minutes=minutes_ago)
        messages_make(40, at=at, delivered_share=infobip_airtel, error_code="DLT_TEMPLATE")
        messages_make(40, at=at, delivered_share=0.96, operator="JIO")
        messages_make(40, at=at, delivered_share=0.95, provider="sinch")
        messages_make(40, at=at, delivered_share=0.95, provider="sinch", operator="JIO")


@pytest.mark.slow
def test_an_airtel_collapse_on_one_provider_alerts_once_everywhere_then_resolves(
    receiver: Callable[[list[int]], Receiver],
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = receiver([200])
    now = timezone.now().replace(minute=55, second=0, microsecond=0)
    # Two healthy days, then the last 30 minutes collapse to 70 % for infobip on Airtel only.
    traffic(since_minutes=48 * 60, until_minutes=60, now=now, infobip_airtel=0.96)
    traffic(since_minutes=30, until_minutes=0, now=now, infobip_airtel=0.70)
    rollups_rebuild()
    rules = [
        AlertRule.objects.create(
            name=f"{provider} Airtel",
            provider=provider,
            operator="AIRTEL",
            email_recipients="noc@example.com",
            webhook_url=hook.url,
        )
        for provider in ("infobip", "sinch")
    ]

    # The beat task, minute after minute: one alert, notified once.
    clock = [now]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    for minute in range(3):
        clock[0] = now + timedelta(minutes=minute)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.evaluate()  # what beat has a worker run every minute
        run_worker()

    [alert] = Alert.objects.all()
    assert alert.rule == rules[0] and alert.state == Alert.State.FIRED
    assert len(mailoutbox) == 1 and "FIRED: infobip Airtel" in mailoutbox[0].subject
    [(headers, body)] = hook.requests
    StandardWebhooksProvider().verify(
        InboundRequest(method="POST", url=hook.url, headers=headers, body=body),
        [rules[0].webhook_secret],
    )
    data = json.loads(body)["data"]
    link = urlsplit(data["dashboard_url"])
    params = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert link.path == "/dashboard/"
    assert (params["provider"], params["operator"], params["range"]) == (
        "infobip",
        "AIRTEL",
        "custom",
    )
    assert data["observed_percent"] == pytest.approx(70.0, abs=1)
    assert mailoutbox[0].body.count(data["dashboard_url"]) == 1

    # Recovery: 40 healthy minutes later the window holds only healthy traffic.
    later = now + timedelta(minutes=45)
    traffic(since_minutes=30, until_minutes=0, now=later, infobip_airtel=0.95)
    rollups_rebuild()
    for minute in range(2):
        clock[0] = later + timedelta(minutes=minute)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.evaluate()  # what beat has a worker run every minute
        run_worker()

    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    assert Alert.objects.count() == 1
    assert [m.subject for m in mailoutbox][1] == "[dlrdash] RESOLVED: infobip Airtel"
    assert [json.loads(b)["type"] for _, b in hook.requests] == ["alert.fired", "alert.resolved"]
    assert not AlertNotification.objects.exclude(status="sent").exists()
