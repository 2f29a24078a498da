"""The admin: secrets never shown, the test event's answer, the delivery log, replay."""

import pytest
from django.contrib.auth.models import Group, User

from forwarding.drain import deliveries_drain
from forwarding.models import FINAL, Delivery, Subscription

from .test_sending import _delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_user("anita", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Administrator"))
    client.force_login(user)
    return client


def test_adding_a_subscription_generates_a_secret_shown_once(admin_client, receiver):
    answer = admin_client.post(
        "/admin/forwarding/subscription/add/",
        {
            "name": "OTP",
            "url": receiver.url,
            "active": "on",
            "event_types": [FINAL],
            "retry_hours": 72,
            "providers": "smstake, wavix",
        },
        follow=True,
    )

    subscription = Subscription.objects.get()
    (secret,) = subscription.secrets
    assert secret in answer.content.decode()  # the one-time message
    assert subscription.providers == ["smstake", "wavix"]
    page = admin_client.get(f"/admin/forwarding/subscription/{subscription.pk}/change/")
    assert secret not in page.content.decode()


def test_a_metadata_target_is_refused_in_the_admin_with_the_reason(admin_client, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    answer = admin_client.post(
        "/admin/forwarding/subscription/add/",
        {"name": "x", "url": "http://169.254.169.254/", "event_types": [FINAL], "retry_hours": 72},
    )

    assert "cloud metadata address" in answer.content.decode()
    assert not Subscription.objects.exists()


def test_the_test_event_action_shows_the_receivers_answer(admin_client, subscription, receiver):
    receiver.answer = lambda _: (202, b"queued it", {})

    answer = admin_client.post(
        "/admin/forwarding/subscription/",
        {"action": "send_test_event", "_selected_action": [subscription.pk]},
        follow=True,
    )

    assert "answered 202" in answer.content.decode()
    assert "queued it" in answer.content.decode()


def test_a_deliverys_page_shows_its_attempts_and_payload_and_replay_sends_it_again(
    admin_client, subscription, receiver
):
    receiver.answer = lambda _: (500, b"database is down", {})
    _delivered()
    deliveries_drain()
    delivery = Delivery.objects.filter(attempts=1).order_by("pk")[0]

    page = admin_client.get(f"/admin/forwarding/delivery/{delivery.pk}/change/").content.decode()
    assert "database is down" in page and "&quot;sequence&quot;" in page

    receiver.answer = lambda _: (204, b"", {})
    admin_client.post(
        "/admin/forwarding/delivery/",
        {"action": "replay", "_selected_action": [delivery.pk]},
    )
    Subscription.objects.update(paused_until=None)
    deliveries_drain()
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert admin_client.get("/admin/forwarding/delivery/?since=24h").status_code == 200
