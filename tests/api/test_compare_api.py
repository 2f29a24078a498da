"""GET /api/v1/compare/ and /api/v1/dlt/."""

from datetime import UTC, datetime

import pytest

from deliveries import status as st
from deliveries.models import Message

from ..deliveries.traffic import traffic_apply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
RANGE = {"since": "2026-11-16T00:00:00Z", "until": "2026-11-20T13:00:00Z"}


@pytest.fixture
def traffic() -> None:
    traffic_apply(messages=200, seed=9, now=NOW, infobip_share=0.4)


def test_compare_puts_providers_side_by_side_with_direct_counts(admin_client, traffic):
    body = admin_client.get(
        "/api/v1/compare/", {**RANGE, "operator": "AIRTEL", "channel": "sms", "bucket": "day"}
    ).json()

    assert body["bucket"] == "day"
    providers = {p["provider"]: p for p in body["providers"]}
    assert {"smstake", "infobip"} <= set(providers)
    for name, column in providers.items():
        messages = Message.objects.filter(
            provider=name, operator="AIRTEL", channel="sms", submitted_at__lt=RANGE["until"]
        )
        assert column["figures"]["sent"] == messages.count()
        delivered = messages.filter(status__in=st.DELIVERED_STATUSES).count()
        assert column["figures"]["delivered"] == delivered
        assert [p["period"] for p in column["series"]] == [
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
        ]
        assert sum(p["sent"] for p in column["series"]) == messages.count()
        assert column["slo"]["objective"] == pytest.approx(0.95)
        assert 0 <= column["slo"]["share"] <= column["slo"]["share_upper"] <= 1
    assert body["latency_slo"]["sms"] == [10.0, 0.95]
    assert {row["operator"] for row in body["slo_by_operator"]} == {"AIRTEL"}


def test_compare_defaults_to_the_last_day_per_hour(admin_client):
    body = admin_client.get("/api/v1/compare/").json()

    assert body["bucket"] == "hour"
    assert body["providers"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"bucket": "week"},
        {"channel": "telegram"},
        {"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"},
        {"since": "2020-01-01T00:00:00Z", "until": "2026-11-19T00:00:00Z"},
        {"since": "2026-09-01T00:00:00Z", "until": "2026-11-19T00:00:00Z", "bucket": "hour"},
        {"since": "yesterday"},
        {"campaign": "0"},
    ],
)
def test_compare_answers_400_with_the_reason_for_bad_parameters(admin_client, params):
    response = admin_client.get("/api/v1/compare/", params)

    assert response.status_code == 400
    assert response.json()


def test_compare_and_dlt_need_authentication(client):
    assert client.get("/api/v1/compare/").status_code in (401, 403)
    assert client.get("/api/v1/dlt/").status_code in (401, 403)


def test_dlt_groups_failures_by_cause_with_meanings(admin_client, traffic):
    body = admin_client.get(
        "/api/v1/dlt/", {"since": "2026-11-14T00:00:00Z", "until": "2026-11-20T13:00:00Z"}
    ).json()

    assert body["total"] == sum(row["messages"] for row in body["by_cause"]) > 0
    assert {row["key"] for row in body["by_cause"]} == {
        "entity",
        "header",
        "template",
        "consent",
        "dnd",
    }
    assert len(body["days"]) == 7
    template = next(c for c in body["by_code"] if c["code"] == "DLT_TEMPLATE_MISMATCH")
    assert template["cause"] == "template"
    assert "template" in template["meaning"]
    assert all(len(row["trend"]) == 7 for row in body["by_template"])


def test_dlt_refuses_a_window_longer_than_92_days(admin_client):
    response = admin_client.get(
        "/api/v1/dlt/", {"since": "2026-01-01T00:00:00Z", "until": "2026-11-19T00:00:00Z"}
    )

    assert response.status_code == 400
    assert "92 days" in str(response.json())


def test_an_until_at_the_start_of_the_calendar_is_a_400_not_a_500(admin_client):
    for url in ("/api/v1/compare/", "/api/v1/dlt/"):
        response = admin_client.get(url, {"until": "0001-01-01T00:00:00Z"})

        assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/dlt/", "/api/v1/compare/", "/api/v1/stats/"])
def test_a_campaign_id_past_any_database_integer_is_a_400_not_a_500(admin_api, path):
    # Found by schemathesis: SQLite could not bind the number and the view answered 500.
    response = admin_api.get(path, {"campaign": "35187887126907828358030032896"})

    assert response.status_code == 400
    assert "campaign" in response.json()
