"""Outgoing notifications: Standard Webhooks signatures, retries with backoff, email, links."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from alerts.links import dashboard_link
from alerts.models import Alert, AlertNotification, AlertRule
from alerts.services import notifications_deliver, rules_evaluate
from alerts.signing import signature
from deliveries.models import Campaign
from deliveries.rollup_rebuild import rollups_rebuild
from webhooks.providers.base import AuthError, InboundRequest
from webhooks.providers.standard_webhooks import StandardWebhooksProvider

from ..factories import make_user
from .conftest import Receiver, messages_make

pytestmark = pytest.mark.django_db

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_signer_reproduces_the_specifications_test_vector() -> None:
    signed = signature(
        secret=SPEC_SECRET,
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def alert_for(rule: AlertRule) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        rule=rule,
        fired_at=now,
        window_since=now - timedelta(minutes=30),
        window_until=now,
        observed=70.0,
        baseline=96.0,
        volume=200,
        summary="infobip Airtel: delivery rate 70.0 %",
    )


def webhook_notification(rule: AlertRule) -> AlertNotification:
    return AlertNotification.objects.create(
        alert=alert_for(rule),
        event="fired",
        channel="webhook",
        destination=rule.webhook_url,
        next_attempt_at=timezone.now(),
    )


def test_the_outgoing_webhook_verifies_with_our_standard_webhooks_adapter(
    receiver: Callable[[list[int]], Receiver],
) -> None:
    hook = receiver([200])
    rule = AlertRule.objects.create(name="r", provider="infobip", webhook_url=hook.url)
    webhook_notification(rule)

    assert notifications_deliver() == 1

    [(headers, body)] = hook.requests
    request = InboundRequest(method="POST", url=hook.url, headers=headers, body=body)
    StandardWebhooksProvider().verify(request, [rule.webhook_secret])  # raises if wrong
    with pytest.raises(AuthError):
        StandardWebhooksProvider().verify(request, [SPEC_SECRET])
    payload = json.loads(body)
    assert payload["type"] == "alert.fired"
    assert payload["data"]["segment"]["provider"] == "infobip"
    assert payload["data"]["dashboard_url"].startswith("http://localhost:8000/dashboard/?")
    assert headers["webhook-id"].startswith("msg_")


def test_a_failed_webhook_is_retried_with_backoff_until_it_succeeds(
    receiver: Callable[[list[int]], Receiver],
) -> None:
    hook = receiver([500, 200])
    rule = AlertRule.objects.create(name="r", webhook_url=hook.url)
    notification = webhook_notification(rule)
    start = timezone.now()

    assert notifications_deliver(now=start) == 0
    notification.refresh_from_db()
    assert notification.status == AlertNotification.Status.PENDING
    assert notification.attempts == 1
    assert "500" in notification.last_error
    assert notification.next_attempt_at == start + timedelta(minutes=1)

    # Not due yet: the sweeper leaves it alone.
    assert notifications_deliver(now=start + timedelta(seconds=30)) == 0
    assert len(hook.requests) == 1

    assert notifications_deliver(now=start + timedelta(minutes=1)) == 1
    notification.refresh_from_db()
    assert notification.status == AlertNotification.Status.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    # The same message id on the retry, so the receiver can deduplicate.
    assert hook.requests[0][0]["webhook-id"] == hook.requests[1][0]["webhook-id"]


def test_a_webhook_that_keeps_failing_is_given_up_after_the_last_attempt(
    receiver: Callable[[list[int]], Receiver], settings
) -> None:
    settings.ALERTS_MAX_ATTEMPTS = 3
    hook = receiver([503])
    notification = webhook_notification(AlertRule.objects.create(name="r", webhook_url=hook.url))
    moment = timezone.now()
    for _ in range(3):
        notifications_deliver(now=moment)
        moment += timedelta(hours=2)

    notification.refresh_from_db()
    assert notification.status == AlertNotification.Status.FAILED
    assert notification.attempts == 3
    assert notifications_deliver(now=moment) == 0
    assert len(hook.requests) == 3


def test_an_unreachable_receiver_is_recorded_not_raised(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    rule = AlertRule.objects.create(name="r", webhook_url="http://127.0.0.1:9/nothing")
    notification = webhook_notification(rule)

    assert notifications_deliver() == 0
    notification.refresh_from_db()
    # What happened, never where: the address and port are not repeated to the rule's owner.
    assert (notification.attempts, notification.last_error) == (1, "connection refused")


def test_a_receiver_inside_our_network_is_never_called(
    receiver: Callable[[list[int]], Receiver], settings
) -> None:
    hook = receiver([200])
    settings.OUTBOUND_ALLOWED_HOSTS = []
    notification = webhook_notification(AlertRule.objects.create(name="r", webhook_url=hook.url))

    assert notifications_deliver() == 0
    notification.refresh_from_db()
    assert hook.requests == []
    assert notification.last_error == (
        "127.0.0.1 is a loopback address, which is not allowed (OUTBOUND_ALLOWED_HOSTS)"
    )


def test_email_goes_to_each_recipient_with_the_dashboard_link(mailoutbox) -> None:
    rule = AlertRule.objects.create(
        name="infobip Airtel", email_recipients="ops@example.com,\nnoc@example.com"
    )
    alert = alert_for(rule)
    for to in rule.emails():
        AlertNotification.objects.create(
            alert=alert,
            event="fired",
            channel="email",
            destination=to,
            next_attempt_at=alert.fired_at,
        )

    assert notifications_deliver() == 2

    assert sorted(m.to[0] for m in mailoutbox) == ["noc@example.com", "ops@example.com"]
    assert mailoutbox[0].subject == "[dlrdash] FIRED: infobip Airtel"
    assert dashboard_link(alert) in mailoutbox[0].body


def test_the_dashboard_link_carries_the_segment_and_the_window() -> None:
    campaign = Campaign.objects.create(name="Diwali", ref_prefix="DIW")
    rule = AlertRule.objects.create(
        name="r", campaign=campaign, provider="infobip", operator="AIRTEL", channel="sms"
    )
    alert = alert_for(rule)

    link = urlsplit(dashboard_link(alert))
    params = {k: v[0] for k, v in parse_qs(link.query).items()}

    assert link.path == "/dashboard/"
    assert params["range"] == "custom"
    assert params["provider"] == "infobip"
    assert params["operator"] == "AIRTEL"
    assert params["channel"] == "sms"
    assert params["campaign"] == str(campaign.pk)
    # With its offset: the person who opens it may read another zone than the sender's.
    assert datetime.fromisoformat(params["since"]) == alert.window_since.replace(microsecond=0)


def test_the_dashboard_accepts_the_link_and_shows_that_segment() -> None:
    now = timezone.now()
    messages_make(20, at=now - timedelta(minutes=10), delivered_share=0.5)
    messages_make(20, at=now - timedelta(minutes=10), delivered_share=0.5, operator="JIO")
    rollups_rebuild()
    rule = AlertRule.objects.create(name="r", provider="infobip", operator="AIRTEL")
    client = Client()
    client.force_login(make_user("Campaign manager", username="cm"))

    response = client.get(dashboard_link(alert_for(rule)))

    assert response.status_code == 200
    assert response.context["form"].is_valid(), response.context["form"].errors
    chosen = response.context["slice"]
    assert (chosen.provider, chosen.operator, chosen.preset) == ("infobip", "AIRTEL", "custom")
    assert response.context["totals"].sent == 20


def test_evaluation_records_notifications_and_delivers_them_after_commit(
    receiver: Callable[[list[int]], Receiver], mailoutbox, django_capture_on_commit_callbacks
) -> None:
    hook = receiver([200])
    now = timezone.now().replace(minute=50)
    for hours_ago in range(2, 26, 2):
        messages_make(50, at=now - timedelta(hours=hours_ago), delivered_share=0.96)
    messages_make(200, at=now - timedelta(minutes=10), delivered_share=0.6)
    rollups_rebuild()
    AlertRule.objects.create(
        name="r",
        provider="infobip",
        operator="AIRTEL",
        email_recipients="ops@example.com",
        webhook_url=hook.url,
    )

    with django_capture_on_commit_callbacks(execute=True):
        rules_evaluate(now=now)
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # with a broker the worker sends them
        notifications_deliver(ids=None, now=now)

    statuses = sorted(AlertNotification.objects.values_list("channel", "status"))
    assert statuses == [("email", "sent"), ("webhook", "sent")]
    assert len(mailoutbox) == 1 and len(hook.requests) == 1


def test_a_redirecting_receiver_is_a_failed_attempt_not_a_delivery(
    receiver: Callable[[list[int]], Receiver],
) -> None:
    hook = receiver([302])
    notification = webhook_notification(AlertRule.objects.create(name="r", webhook_url=hook.url))

    assert notifications_deliver() == 0
    notification.refresh_from_db()
    assert notification.status == AlertNotification.Status.PENDING
    assert "302" in notification.last_error
