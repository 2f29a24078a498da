"""Times say their zone: the site's (India by default, like the phone region), or the one a
person picks on their profile; "Today" and "Yesterday" are calendar days in that zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from deliveries.models import Message
from deliveries.views.dashboard import preset_range

from ..factories import make_user
from ..support import smstake_report

pytestmark = pytest.mark.django_db


def _support_client(*, zone: str = "") -> Client:
    user = make_user("Support")
    if zone:
        Profile.objects.create(user=user, time_zone=zone)
    client = Client()
    client.force_login(user)
    return client


def test_people_read_india_time_and_machines_utc_unless_the_environment_says_otherwise():
    assert settings.DISPLAY_TIME_ZONE == "Asia/Kolkata"
    assert settings.TIME_ZONE == "UTC" and settings.USE_TZ


def test_the_message_page_shows_the_provider_times_in_the_site_zone_and_says_so(post_smstake):
    # SMSTAKE's sample: submitted 10:15:02 and delivered 10:15:04 at +05:30.
    post_smstake(smstake_report())
    message = Message.objects.get()

    html = _support_client().get(f"/trace/message/{message.pk}/").content.decode()

    assert "2026-06-30 10:15:02 IST" in html
    assert "2026-06-30 10:15:04 IST" in html
    assert 'class="zone"' in html and "Asia/Kolkata" in html


def test_a_person_who_picks_london_reads_the_same_times_in_london(post_smstake):
    post_smstake(smstake_report())
    message = Message.objects.get()

    html = _support_client(zone="Europe/London").get(f"/trace/message/{message.pk}/")

    page = html.content.decode()
    assert "2026-06-30 05:45:02 BST" in page
    assert "IST" not in page


def test_the_profile_page_saves_the_zone_and_every_page_after_uses_it():
    user = make_user("Campaign manager")
    client = Client()
    client.force_login(user)

    page = client.get("/profile/")
    assert page.status_code == 200 and "Site default (Asia/Kolkata)" in page.content.decode()
    saved = client.post("/profile/", {"time_zone": "America/New_York"}, follow=True)

    assert Profile.objects.get(user=user).time_zone == "America/New_York"
    assert "America/New_York" in saved.content.decode()  # the top bar says the zone
    refused = client.post("/profile/", {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 200 and "Mars/Olympus" in refused.content.decode()
    assert Profile.objects.get(user=user).time_zone == "America/New_York"


def test_a_new_login_picks_up_the_profile_zone():
    user = make_user("Support")
    Profile.objects.create(user=user, time_zone="Asia/Tokyo")
    client = Client()
    client.force_login(user)

    assert "Asia/Tokyo" in client.get("/trace/").content.decode()


@pytest.mark.parametrize(
    ("zone", "today_starts"),
    [
        # 02:00 UTC is 07:30 on the 2nd in Kolkata, 21:00 on the 1st in New York.
        ("Asia/Kolkata", datetime(2026, 12, 1, 18, 30, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_today_and_yesterday_are_calendar_days_in_the_viewer_zone(zone, today_starts):
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    with timezone.override(zone):
        today = preset_range("today", now=now)
        yesterday = preset_range("yesterday", now=now)

    assert today == (today_starts, now)
    assert yesterday[1] == today_starts
    assert (yesterday[1] - yesterday[0]).total_seconds() == 24 * 3600


def test_the_dashboard_today_range_starts_at_the_viewer_midnight():
    user = make_user("Campaign manager")
    Profile.objects.create(user=user, time_zone="Asia/Kolkata")
    client = Client()
    client.force_login(user)

    chosen = client.get("/dashboard/", {"range": "yesterday"}).context["slice"]

    since = timezone.localtime(chosen.since, timezone.get_fixed_timezone(330))
    until = timezone.localtime(chosen.until, timezone.get_fixed_timezone(330))
    assert (since.hour, since.minute, until.hour, until.minute) == (0, 0, 0, 0)
    assert (until - since).days == 1


def test_a_time_zone_name_that_does_not_exist_stops_the_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from dlrdash.env import envzone

    monkeypatch.setenv("TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE must be a time zone name"):
        envzone("TIME_ZONE", "Asia/Kolkata")


def test_a_delivery_receipt_without_a_time_shows_when_it_arrived_and_says_so(post_smstake):
    post_smstake(smstake_report(delivered_at=None))
    message = Message.objects.get()
    assert message.status == "delivered" and message.delivered_at is None
    arrived = timezone.localtime(message.events.get().received_at, ZoneInfo("Asia/Kolkata"))

    html = _support_client().get(f"/trace/message/{message.pk}/").content.decode()

    delivered = html.split("<dt>Delivered</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert f"{arrived:%Y-%m-%d %H:%M:%S} IST" in delivered
    assert "the provider's receipt carries no delivery time" in delivered


def test_the_api_answers_in_utc_whatever_zone_the_person_reads(post_smstake):
    post_smstake(smstake_report())
    user = make_user("Administrator")
    Profile.objects.create(user=user, time_zone="Asia/Tokyo")
    client = Client()
    client.force_login(user)

    row = client.get("/api/v1/messages/").json()["results"][0]

    assert row["submitted_at"] == "2026-06-30T04:45:02Z"
