"""Who was shown full phone numbers: one entry per request, with how many, on every surface
where the "view full phone number" permission reveals them; nothing when they were masked."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit.models import AuditEntry
from deliveries.models import Message

from ..factories import make_user
from ..support import smstake_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(post_smstake) -> list[Message]:
    """Three messages to one number (an OTP journey), as SMSTAKE reported them."""
    for n in range(3):
        post_smstake(smstake_report(message_id=f"msg_{n}", client_ref="otp_7731"))
    return list(Message.objects.order_by("pk"))


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(make_user(role))
    return client


def views() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="phone.view").order_by("pk"))


def test_the_trace_page_records_who_saw_the_full_number(messages):
    client = signed_in("Administrator")

    assert client.get(f"/trace/message/{messages[0].pk}/").status_code == 200

    [entry] = views()
    assert entry.actor_username == "administrator"
    assert (entry.object_type, entry.object_id) == ("deliveries.message", str(messages[0].pk))
    assert entry.details == {"surface": "trace", "count": 1}
    assert entry.remote_addr == "127.0.0.1"


def test_a_trace_search_records_once_with_the_number_of_messages_shown(messages):
    response = signed_in("Administrator").get("/trace/", {"q": "+91 98765 43210"})

    assert len(response.context["messages"]) == 3
    [entry] = views()
    assert entry.details == {"surface": "trace search", "count": 3}
    assert entry.object_type == "deliveries.message"


def test_masked_numbers_are_not_recorded(messages):
    client = signed_in("Support")

    client.get(f"/trace/message/{messages[0].pk}/")
    client.get("/trace/", {"q": "+919876543210"})
    client.get("/admin/deliveries/message/")
    client.get(f"/admin/deliveries/message/{messages[0].pk}/change/")

    assert views() == []


def test_the_admin_records_a_message_page_and_once_per_list_page(messages):
    client = signed_in("Administrator")

    client.get(f"/admin/deliveries/message/{messages[1].pk}/change/")
    client.get("/admin/deliveries/message/")

    page, listing = views()
    assert page.details == {"surface": "admin message", "count": 1}
    assert page.object_id == str(messages[1].pk)
    assert listing.details == {"surface": "admin message list", "count": 3}


def test_the_api_records_a_message_and_once_per_list_page(messages):
    user = make_user(superuser=True)
    client = Client(headers={"Authorization": f"Token {Token.objects.create(user=user).key}"})

    assert client.get(f"/api/v1/messages/{messages[2].pk}/").json()["to"] == "+919876543210"
    assert len(client.get("/api/v1/messages/", {"page_size": 2}).json()["results"]) == 2

    one, page = views()
    assert (one.actor_username, one.object_id) == ("root", str(messages[2].pk))
    assert one.details == {"surface": "api message", "count": 1}
    assert page.details == {"surface": "api message list", "count": 2}


def test_the_dashboard_records_its_list_of_messages_without_a_report(messages):
    # Past the SMS validity window and still only "sent": listed with its number.
    old = timezone.now() - timedelta(days=3)
    Message.objects.filter(pk=messages[0].pk).update(status="sent", submitted_at=old)

    response = signed_in("Administrator").get("/dashboard/", {"range": "7d"})

    assert len(response.context["stuck"]) == 1
    [entry] = views()
    assert entry.details == {"surface": "dashboard", "count": 1}
