"""Support's pages and the API's lists run a fixed number of queries, whatever the rows, and
never count a big table: COUNT(*) appears only over a LIMITed subquery."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from deliveries import paginators
from deliveries.models import Campaign, Message
from webhooks.models import InboundEvent

from ..factories import make_user
from ..support import smstake_report

pytestmark = pytest.mark.django_db

BIG_TABLES = ("deliveries_message", "deliveries_statusevent", "webhooks_inboundevent")


@pytest.fixture
def traffic(post_smstake: Any) -> None:
    Campaign.objects.create(name="OTP", ref_prefix="otp_")
    for i in range(12):
        status, code = ("delivered", "DELIVRD") if i % 3 else ("undelivered", "UNDELIV")
        report = smstake_report(
            message_id=f"q-{i}",
            to=f"9198765432{i:02d}",
            client_ref=f"otp_{i}",
            status=status,
            status_code=code,
        )
        post_smstake(report)


def support_client() -> Client:
    client = Client()
    client.force_login(make_user("Support"))
    return client


def queries_of(client: Client, url: str, **headers: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries]


def unbounded_counts(sql: list[str]) -> list[str]:
    """COUNT queries over a big table that are not bounded by a LIMIT."""
    return [
        q
        for q in sql
        if re.search(r"COUNT\(", q, re.I)
        and any(t in q for t in BIG_TABLES)
        and not re.search(r"\bLIMIT\b", q, re.I)
    ]


def admin_pages() -> list[tuple[str, int]]:
    message = Message.objects.order_by("pk").first()
    event = InboundEvent.objects.order_by("pk").first()
    assert message is not None and event is not None
    campaign = Campaign.objects.get().pk
    endpoint = event.endpoint_id
    # (URL, the most queries it may run): session, user and permissions included; the message
    # list also reads the viewer's roles once (its export link and the header's links).
    return [
        ("/admin/deliveries/message/", 11),  # on PostgreSQL the table estimate first
        (
            f"/admin/deliveries/message/?status__exact=undelivered&campaign__id__exact={campaign}",
            10,
        ),
        ("/admin/deliveries/message/?q=09876543201", 10),  # a phone in local format
        ("/admin/deliveries/message/?q=otp_4", 10),
        ("/admin/deliveries/message/?no_final_after=1", 10),
        (f"/admin/deliveries/message/{message.pk}/change/", 12),
        ("/admin/webhooks/inboundevent/", 10),
        (
            f"/admin/webhooks/inboundevent/?endpoint__id__exact={endpoint}&outcome__exact=applied",
            9,
        ),
        ("/admin/webhooks/inboundevent/?received=24h", 9),
        (f"/admin/webhooks/inboundevent/{event.pk}/change/", 9),
    ]


def test_supports_pages_run_a_pinned_number_of_queries_and_count_no_big_table(traffic):
    client = support_client()
    for url, most in admin_pages():
        sql = queries_of(client, url)

        assert len(sql) <= most, (url, len(sql), sql)
        assert not unbounded_counts(sql), url


def test_the_pages_queries_do_not_grow_with_the_rows(traffic, post_smstake):
    client = support_client()
    before = {url: len(queries_of(client, url)) for url, _ in admin_pages()}
    for i in range(12, 30):
        post_smstake(smstake_report(message_id=f"q-{i}", client_ref=f"otp_{i}"))

    assert {url: len(queries_of(client, url)) for url, _ in admin_pages()} == before


def test_the_api_lists_run_a_pinned_number_of_queries_and_count_no_big_table(traffic):
    user = make_user("Support")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    client = Client()
    campaign = Campaign.objects.get().pk
    first = client.get("/api/v1/messages/?page_size=5", **headers).json()
    lists = [
        "/api/v1/messages/",
        "/api/v1/messages/?message_id=q-3",
        "/api/v1/messages/?provider=smstake",
        "/api/v1/messages/?status=delivered&status=undelivered",
        "/api/v1/messages/?channel=sms",
        "/api/v1/messages/?operator=jio",
        f"/api/v1/messages/?campaign={campaign}",
        "/api/v1/messages/?client_ref=otp_3",
        "/api/v1/messages/?to=09876543203",
        "/api/v1/messages/?has_error=true",
        "/api/v1/messages/?created_after=2020-01-01T00:00:00Z",
        first["next"].removeprefix("http://testserver"),
    ]
    # Token and user, the page (and the audit record of a full-number view, if any).
    pinned = [(url, 4) for url in lists]
    # Token and user, the role's permissions (two), the count (on PostgreSQL the table's
    # estimate first), the page.
    pinned += [
        ("/api/v1/webhook-events/", 7),
        ("/api/v1/webhook-events/?outcome=applied&received_after=2020-01-01T00:00:00Z", 7),
    ]
    for url, most in pinned:
        sql = queries_of(client, url, **headers)

        assert len(sql) <= most, (url, sql)
        assert not unbounded_counts(sql), url


def test_past_the_limit_a_filtered_list_shows_an_estimate_without_counting_it(traffic, monkeypatch):
    monkeypatch.setattr(paginators, "EXACT_COUNT_LIMIT", 3)
    delivered = Message.objects.filter(status="delivered").order_by("-pk")

    with CaptureQueriesContext(connection) as captured:
        count = paginators.EstimatedCountPaginator(delivered, 50).count

    # More than the limit: at least limit + 1 (the rows counted), the planner's figure on
    # PostgreSQL; never a COUNT over every matching row.
    assert count >= 4
    assert not unbounded_counts([q["sql"] for q in captured.captured_queries])


@pytest.mark.parametrize("term", ["q-4", "otp_4", "09876543204", "+91 98765 43204"])
def test_the_admin_search_finds_a_message_by_id_client_ref_or_phone_in_any_format(traffic, term):
    response = support_client().get("/admin/deliveries/message/", {"q": term})

    assert response.status_code == 200
    assert [m.message_id for m in response.context["cl"].result_list] == ["q-4"]
