"""Scheduled digests: per role, once per period, only when their condition holds."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from accounts.models import Profile
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status
from digests.models import DigestRun, DigestSubscription
from digests.services import digest_period, digests_send_due

from ..factories import make_user

pytestmark = pytest.mark.django_db

# Sent at 08:00 in Kolkata (UTC+05:30): 02:30 UTC.
SEND_TIME = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


def traffic() -> None:
    """The day before the send time: a delivered OTP and one that failed with DND."""
    at = SEND_TIME - timedelta(hours=5)
    reports = [
        DeliveryReport(
            provider="smstake",
            message_id=mid,
            status=Status(status),
            provider_status=status.upper(),
            channel="sms",
            operator="JIO",
            to="+919876543210",
            error_code="DND" if status == "failed" else "",
            submitted_at=at,
            event_time=at + timedelta(seconds=3),
        )
        for mid, status in (("ok-1", "delivered"), ("bad-1", "failed"))
    ]
    reports_apply(items=[(r, None) for r in reports], now=at)


def subscribe(role: str, *, condition: str = "always", **user: object) -> DigestSubscription:
    person = make_user(role, **user)  # type: ignore[arg-type]
    person.email = f"{person.username}@example.com"
    person.save()
    sub = DigestSubscription.objects.create(
        user=person, hour=8, time_zone="Asia/Kolkata", condition=condition
    )
    # Subscribed well before the period, so the first send time counts.
    DigestSubscription.objects.filter(pk=sub.pk).update(created_at=SEND_TIME - timedelta(days=3))
    sub.refresh_from_db()
    return sub


def test_the_send_time_is_the_subscribers_hour_in_their_zone():
    sub = DigestSubscription(hour=8, time_zone="Asia/Kolkata")

    since, until = digest_period(sub, now=SEND_TIME + timedelta(minutes=1))

    assert until == SEND_TIME
    assert since == SEND_TIME - timedelta(days=1)
    # One minute early, the period due is still the day before's.
    assert digest_period(sub, now=SEND_TIME - timedelta(minutes=1))[1] == until - timedelta(days=1)


def test_a_campaign_managers_digest_has_the_scorecard_and_masked_numbers():
    traffic()
    subscribe("Campaign manager")

    digests_send_due(now=SEND_TIME + timedelta(minutes=1))

    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    text, (html, kind) = message.body, message.alternatives[0]
    assert isinstance(html, str)
    assert kind == "text/html"
    assert "PROVIDER SCORECARD" in text and "smstake" in text and "Provider scorecard" in html
    assert "smstake:bad-1" in text and "DND" in text
    assert "+91 98••••3210" in text and "+919876543210" not in text + html
    assert "20 Nov 08:00" in message.subject or "Fri 20 Nov 08:00" in text


def test_a_support_digest_lists_what_needs_action_without_the_scorecard():
    traffic()
    subscribe("Support")

    digests_send_due(now=SEND_TIME + timedelta(minutes=1))

    text = mail.outbox[0].body
    assert "NEEDING ACTION" in text and "smstake:bad-1" in text
    assert "SCORECARD" not in text and "ALERTS" not in text
    assert "+91 98••••3210" in text


def test_a_user_allowed_full_numbers_gets_them():
    traffic()
    subscribe("Administrator", perms=("deliveries.view_full_phone",))

    digests_send_due(now=SEND_TIME + timedelta(minutes=1))

    assert "+919876543210" in mail.outbox[0].body


def test_a_digest_goes_out_once_per_period():
    traffic()
    sub = subscribe("Campaign manager")

    for minutes in (1, 2, 30):
        digests_send_due(now=SEND_TIME + timedelta(minutes=minutes))
    assert len(mail.outbox) == 1

    digests_send_due(now=SEND_TIME + timedelta(days=1, minutes=1))
    assert len(mail.outbox) == 2
    assert DigestRun.objects.filter(subscription=sub, outcome="sent").count() == 2


def test_a_digest_whose_condition_is_false_is_skipped_and_recorded():
    sub = subscribe("Campaign manager", condition=DigestSubscription.Condition.FAILURES)

    digests_send_due(now=SEND_TIME + timedelta(minutes=1))

    assert mail.outbox == []
    assert DigestRun.objects.get(subscription=sub).outcome == "skipped"


def test_send_digest_prints_one_with_the_scorecard_now(capsys):
    traffic()
    user = make_user("Campaign manager", username="manager")
    user.email = "manager@example.com"  # printed all the same: --print does not send
    user.save()

    call_command("send_digest", "--user", "manager", "--print")

    out = capsys.readouterr().out
    assert "Subject: dlrdash daily digest" in out
    assert "PROVIDER SCORECARD" in out


def test_the_digests_page_saves_a_subscription_with_its_zone(client):
    user = make_user("Campaign manager")
    Profile.objects.create(user=user, time_zone="Asia/Dubai")
    client.force_login(user)

    page = client.get("/digests/")
    saved = client.post(
        "/digests/",
        {
            "frequency": "weekly",
            "weekly-active": "on",
            "weekly-hour": "9",
            "weekly-weekday": "0",
            "weekly-time_zone": "Europe/Berlin",
            "weekly-condition": "needs_action",
        },
    )

    # A new subscription offers the user's own zone (their profile's).
    assert page.status_code == 200 and 'value="Asia/Dubai" selected' in page.content.decode()
    assert saved.status_code == 302
    sub = DigestSubscription.objects.get(user=user)
    assert (sub.frequency, sub.hour, sub.time_zone) == ("weekly", 9, "Europe/Berlin")
