"""Who sees costs, and what the costs page, its exports and the API say."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from deliveries.models import Campaign, Message
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..factories import make_user
from .rates import rate_add

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def traffic() -> None:
    cache.clear()  # API throttling counts in the cache
    Campaign.objects.create(name="Diwali promo", ref_prefix="promo_")
    rate_add(provider="smstake", price="0.1200", currency="INR")
    reports: list[tuple[str, Status, dict[str, Any]]] = [
        ("p1", Status.DELIVERED, {}),
        ("p2", Status.FAILED, {}),
        (
            "p3",
            Status.DELIVERED,
            {"provider": "plivo", "price": Decimal("0.0032"), "currency": "USD"},
        ),
    ]
    reports_apply(
        items=[
            (
                DeliveryReport(
                    **{
                        "provider": "smstake",
                        "message_id": message_id,
                        "status": status,
                        "provider_status": status.value,
                        "client_ref": f"promo_{message_id}",
                        "submitted_at": NOW - timedelta(hours=2),
                        "segments": 2,
                        "encoding": "ucs2",
                        **extra,
                    }
                ),
                None,
            )
            for message_id, status, extra in reports
        ]
    )


def api(role: str) -> APIClient:
    name = f"api-{role}"
    user = User.objects.filter(username=name).first() or make_user(role, username=name)
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize("role", ["Campaign manager", "Administrator"])
def test_managers_and_administrators_see_the_costs_page(client, role):
    client.force_login(make_user(role))

    page = client.get("/costs/?range=7d").content.decode()

    assert "Spend (INR)" in page and "Spend (USD)" in page
    assert "Diwali promo" in page
    assert "0.2400" in page  # the delivered INR message: 2 segments × 0.12


def test_support_sees_no_costs_anywhere(client):
    client.force_login(make_user("Support"))

    assert client.get("/costs/").status_code == 403
    assert client.get("/costs/export/provider.csv").status_code == 403
    message = api("Support").get(f"/api/v1/messages/{Message.objects.get(message_id='p1').pk}/")
    assert message.status_code == 200
    assert not {"cost", "cost_currency", "cost_source"} & set(message.json())


def test_the_api_message_carries_its_cost_as_a_decimal_string():
    data = api("Administrator").get("/api/v1/messages/?message_id=p1").json()["results"][0]

    assert (data["cost"], data["cost_currency"], data["cost_source"], data["segments"]) == (
        "0.240000",
        "INR",
        "rate_card",
        2,
    )
    unknown = api("Administrator").get("/api/v1/messages/?message_id=p3").json()["results"][0]
    assert (unknown["cost"], unknown["cost_source"]) == ("0.003200", "reported")


def test_stats_carry_spend_per_currency_for_those_who_may_see_it():
    since = (NOW - timedelta(days=1)).isoformat()
    stats = api("Campaign manager").get("/api/v1/stats/", {"since": since}).json()

    assert stats["spend"] == [
        {
            "currency": "INR",
            "amount": "0.480000",
            "delivered_cost_per_message": "0.240000",
            "undelivered_amount": "0.240000",
        },
        {
            "currency": "USD",
            "amount": "0.003200",
            "delivered_cost_per_message": "0.003200",
            "undelivered_amount": "0.000000",
        },
    ]


def test_the_costs_export_lists_each_currency_on_its_own_row(client):
    client.force_login(make_user("Campaign manager"))

    response = client.get("/costs/export/provider.csv?range=7d")
    lines = b"".join(response.streaming_content).decode().splitlines()

    assert lines[0].startswith("provider,label,currency,amount,messages,delivered,")
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["smstake", "smstake", "INR", "0.480000"],
        ["plivo", "plivo", "USD", "0.003200"],
    ]
    assert client.get("/costs/export/nonsense.csv").status_code == 404


def test_the_dashboard_shows_the_cost_card_to_managers(client):
    client.force_login(make_user("Campaign manager"))

    page = client.get("/dashboard/?range=24h").content.decode()

    assert "Spend (INR)" in page and "per delivered message" in page


def test_a_bad_reconciliation_month_is_a_404_not_a_500(client):
    client.force_login(make_user("Administrator"))

    assert client.get("/costs/reconciliation/plivo/2026-13/").status_code == 404
    assert client.get("/costs/reconciliation/plivo/2026-11/").status_code == 200
