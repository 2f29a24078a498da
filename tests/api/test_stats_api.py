"""GET /api/v1/stats/ and /api/v1/campaigns/<id>/stats/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q

from deliveries import status as st
from deliveries.error_codes import error_code_meaning
from deliveries.models import Campaign, Message

from ..deliveries.traffic import traffic_apply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
RANGE = {"since": "2026-11-16T00:00:00Z", "until": "2026-11-20T13:00:00Z"}


@pytest.fixture
def traffic() -> None:
    traffic_apply(messages=150, seed=7, now=NOW)


def in_range() -> Q:
    since, until = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 20, 13, tzinfo=UTC)
    return Q(submitted_at__gte=since, submitted_at__lt=until) | Q(
        submitted_at=None, created_at__gte=since, created_at__lt=until
    )


def test_stats_totals_equal_counts_of_messages(admin_client, traffic):
    body = admin_client.get("/api/v1/stats/", RANGE).json()

    messages = Message.objects.filter(in_range())
    totals = body["totals"]
    assert totals["sent"] == messages.count() > 100
    assert totals["delivered"] == messages.filter(status__in=st.DELIVERED_STATUSES).count()
    assert totals["failed"] == messages.filter(status__in=st.FAILED_STATUSES).count()
    assert totals["pending"] == messages.filter(status__in=st.PENDING_STATUSES).count()
    assert totals["delivery_rate"] == pytest.approx(totals["delivered"] / totals["sent"])
    assert 0 < totals["latency_p50"] <= totals["latency_p95"]
    assert body["groups"] == []


def test_stats_grouped_by_operator_add_up_to_the_totals(admin_client, traffic):
    body = admin_client.get("/api/v1/stats/", {**RANGE, "group_by": "operator"}).json()

    by_operator = {g["key"]: g["figures"]["sent"] for g in body["groups"]}
    assert sum(by_operator.values()) == body["totals"]["sent"]
    assert by_operator["JIO"] == Message.objects.filter(in_range(), operator="JIO").count()


def test_stats_filtered_by_channel_and_grouped_by_day(admin_client, traffic):
    body = admin_client.get(
        "/api/v1/stats/", {**RANGE, "channel": "whatsapp", "group_by": "day"}
    ).json()

    assert [g["key"] for g in body["groups"]] == [
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]
    expected = Message.objects.filter(in_range(), channel="whatsapp").count()
    assert sum(g["figures"]["sent"] for g in body["groups"]) == body["totals"]["sent"] == expected
    assert body["totals"]["read_rate"] is not None


def test_error_code_groups_are_labelled_with_the_catalog_meaning(admin_client, traffic):
    body = admin_client.get("/api/v1/stats/", {**RANGE, "group_by": "error_code"}).json()

    dnd = next(g for g in body["groups"] if g["key"] == "smstake:DND")
    meaning = error_code_meaning(provider="smstake", code="DND")
    assert meaning and dnd["label"] == meaning.meaning
    assert dnd["figures"]["failed"] == Message.objects.filter(in_range(), error_code="DND").count()


def test_campaign_stats_cover_only_that_campaign(admin_client, traffic):
    otp = Campaign.objects.get(ref_prefix="otp_")

    body = admin_client.get(f"/api/v1/campaigns/{otp.pk}/stats/", RANGE).json()

    assert body["totals"]["sent"] == Message.objects.filter(in_range(), campaign=otp).count()


def test_campaign_stats_of_an_unknown_campaign_is_404(admin_client):
    assert admin_client.get("/api/v1/campaigns/999/stats/").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"}, "since"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"group_by": "colour"}, "group_by"),
        (
            {"since": "2026-09-01T00:00:00Z", "until": "2026-11-01T00:00:00Z", "group_by": "hour"},
            "group_by",
        ),
        ({"campaign": "otp"}, "campaign"),
        ({"channel": "pigeon"}, "channel"),
        ({"operator": "x" * 200}, "operator"),
    ],
)
def test_bad_parameters_are_400_with_a_message(admin_client, params, field):
    response = admin_client.get("/api/v1/stats/", params)

    assert response.status_code == 400
    assert field in response.json()


def test_stats_need_authentication(client):
    assert client.get("/api/v1/stats/").status_code in (401, 403)


def test_stats_default_to_the_last_24_hours(admin_client):
    body = admin_client.get("/api/v1/stats/").json()

    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == timedelta(hours=24)
    assert body["totals"]["sent"] == 0
    assert body["totals"]["delivery_rate"] is None


def test_the_schema_documents_the_stats_endpoints(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()

    assert "/api/v1/stats/" in schema["paths"]
    assert "/api/v1/campaigns/{id}/stats/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/stats/"]["get"]["parameters"]}
    assert {"since", "until", "campaign", "group_by"} <= params


@pytest.mark.parametrize("until", ["0001-01-01T04:00:00Z", "9999-12-31T23:30:00Z"])
def test_dates_at_the_ends_of_the_calendar_are_a_400_not_a_crash(admin_client, until):
    response = admin_client.get("/api/v1/stats/", {"until": until})

    assert response.status_code == 400
    assert "until" in response.json()
