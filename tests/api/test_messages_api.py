"""GET /api/v1/messages/: filters, ordering, cursor pages, masking, query counts."""

import base64
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from deliveries.models import Campaign, Message, StatusEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
_ids = count()


def message(**fields: object) -> Message:
    values: dict[str, object] = {
        "provider": "smstake",
        "message_id": f"m{next(_ids)}",
        "to": "+919876543210",
        "to_raw": "+919876543210",
    }
    return Message.objects.create(**(values | fields))


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(m["message_id"] for m in response.json()["results"])


@pytest.fixture
def sample() -> dict[str, Campaign]:
    diwali = Campaign.objects.create(name="Diwali", ref_prefix="diwali_")
    message(
        message_id="delivered",
        status="delivered",
        operator="JIO",
        campaign=diwali,
        submitted_at=T0,
        delivered_at=T0 + timedelta(seconds=3),
        client_ref="diwali_1",
    )
    message(
        message_id="failed",
        provider="wavix",
        status="failed",
        error_code="DND",
        channel="whatsapp",
        to="+14155550100",
        submitted_at=T0 + timedelta(hours=1),
    )
    message(message_id="pending", status="sent", operator="Airtel", channel="rcs")
    return {"diwali": diwali}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"message_id": "failed"}, ["failed"]),
        ({"provider": "wavix"}, ["failed"]),
        ({"status": "delivered"}, ["delivered"]),
        ({"status": ["delivered", "sent"]}, ["delivered", "pending"]),
        ({"channel": "whatsapp"}, ["failed"]),
        ({"operator": "jio"}, ["delivered"]),
        ({"client_ref": "diwali_1"}, ["delivered"]),
        ({"to": "+1 (415) 555-0100"}, ["failed"]),
        ({"to": "098765 43210"}, ["delivered", "pending"]),
        ({"phone": "919876543210"}, ["delivered", "pending"]),
        ({"to": "not a number"}, []),
        # "pending" has no submit time: it is in range by when it was stored (now).
        ({"submitted_after": "2026-11-23T10:30:00Z"}, ["failed", "pending"]),
        ({"submitted_before": "2026-11-23T10:30:00Z"}, ["delivered"]),
        ({"delivered_after": "2026-11-23T10:00:00Z"}, ["delivered"]),
        ({"delivered_before": "2026-11-23T10:00:00Z"}, []),
        ({"has_error": "true"}, ["failed"]),
        ({"has_error": "false"}, ["delivered", "pending"]),
        ({"status_group": "failed"}, ["failed"]),
        ({"status_group": "pending"}, ["pending"]),
        ({"error_code": "DND"}, ["failed"]),
        ({"campaign": "0"}, ["failed", "pending"]),
        ({"environment": "sandbox"}, []),
        ({"environment": "live"}, ["delivered", "failed", "pending"]),
    ],
)
def test_each_filter_narrows_the_list(admin_api, sample, params, expected):
    assert ids(admin_api.get(URL, params)) == expected


def test_the_campaign_filter_takes_an_id(admin_api, sample):
    assert ids(admin_api.get(URL, {"campaign": sample["diwali"].pk})) == ["delivered"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "sent_ok"},
        {"channel": "fax"},
        {"campaign": "abc"},
        {"campaign": "99999999999999999999999"},
        {"submitted_after": "yesterday"},
        {"submitted_after": "9999-12-31T23:59:59-14:00"},
        {"delivered_before": "0001-01-01T00:00:00+14:00"},
        {"has_error": "maybe"},
        {"ordering": "to"},
        {"ordering": "-error_code,id"},
        {"page_size": "100000"},
        {"page_size": "0"},
        {"page_size": "ten"},
        {"cursor": "garbage"},
    ],
)
def test_bad_parameters_are_a_400_with_a_message(admin_api, sample, params):
    response = admin_api.get(URL, params)

    assert response.status_code == 400
    assert response.json()


def test_ordering_follows_the_whitelist(admin_api):
    first, second = message(message_id="a"), message(message_id="b")
    # Newer than `second`, which was created just now, whatever today's date is.
    Message.objects.filter(pk=first.pk).update(created_at=timezone.now() + timedelta(days=1))

    newest = admin_api.get(URL).json()["results"]
    by_id = admin_api.get(URL, {"ordering": "id"}).json()["results"]

    assert [m["message_id"] for m in newest] == ["a", "b"]
    assert [m["message_id"] for m in by_id] == ["a", "b"]
    by_created = admin_api.get(URL, {"ordering": "created_at"}).json()["results"]
    assert [m["message_id"] for m in by_created] == ["b", "a"]
    assert second.pk > first.pk


def test_cursor_pages_walk_every_message_once(admin_api):
    for i in range(7):
        message(message_id=f"p{i}")

    seen: list[str] = []
    page = admin_api.get(URL, {"page_size": 3}).json()
    while True:
        seen += [m["message_id"] for m in page["results"]]
        if not page["next"]:
            break
        page = admin_api.get(page["next"]).json()

    assert sorted(seen) == [f"p{i}" for i in range(7)]
    assert "count" not in page  # cursor pages do not count the table


@pytest.mark.parametrize(
    ("position", "ordering"),
    [("garbage", "-created_at"), ("2026-99-99", "created_at"), ("x", "id"), ("1.5e3", "-id")],
)
def test_a_tampered_cursor_is_a_400(admin_api, position, ordering):
    message()
    cursor = base64.b64encode(f"o=1&p={position}".encode()).decode()

    response = admin_api.get(URL, {"cursor": cursor, "ordering": ordering})

    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


def test_a_cursor_past_any_id_is_an_empty_page(admin_api):
    message()
    cursor = base64.b64encode(b"p=99999999999999999999999").decode()

    response = admin_api.get(URL, {"cursor": cursor, "ordering": "id"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_numbers_are_masked_without_the_full_phone_permission(support_api, admin_api):
    stored = message()

    masked = support_api.get(f"{URL}{stored.pk}/").json()
    full = admin_api.get(f"{URL}{stored.pk}/").json()

    assert masked["to"] == "+91 98••••3210"
    assert full["to"] == "+919876543210"


def test_a_masked_user_can_still_filter_by_the_full_number(support_api):
    message(message_id="mine")
    message(message_id="other", to="+919999999999")

    response = support_api.get(URL, {"to": "+91 98765 43210"})

    assert ids(response) == ["mine"]
    assert response.json()["results"][0]["to"] == "+91 98••••3210"


def test_a_message_shows_its_latency_and_error_meaning(admin_api):
    stored = message(submitted_at=T0, delivered_at=T0 + timedelta(seconds=2.5), error_code="")

    body = admin_api.get(f"{URL}{stored.pk}/").json()

    assert body["latency_seconds"] == 2.5
    assert body["error_meaning"] is None
    assert {
        "id",
        "provider",
        "message_id",
        "status",
        "channel",
        "to",
        "client_ref",
        "operator",
        "error_code",
        "campaign",
        "submitted_at",
        "delivered_at",
    } <= body.keys()


def test_a_message_lists_its_events_oldest_first(admin_api):
    stored = message()
    for i, status in enumerate(["delivered", "sent"]):
        StatusEvent.objects.create(
            message=stored,
            status=status,
            received_at=T0 + timedelta(i),
            outcome="applied",
            dedup_key=str(i),
        )

    events = admin_api.get(f"{URL}{stored.pk}/events/").json()

    assert [e["status"] for e in events] == ["delivered", "sent"]


def test_an_unknown_message_is_a_404(admin_api):
    assert admin_api.get(f"{URL}99999999999999999999/").status_code == 404
    assert admin_api.get(f"{URL}424242/events/").status_code == 404


def test_the_message_list_costs_a_fixed_number_of_queries(support_api, django_assert_num_queries):
    for _ in range(30):
        message(campaign=Campaign.objects.get_or_create(name="C", ref_prefix="c_")[0])

    # token, the role check, the permissions (masking; cached on the user), the page.
    with django_assert_num_queries(4):
        response = support_api.get(URL)

    assert len(response.json()["results"]) == 30


def test_the_event_list_costs_a_fixed_number_of_queries(admin_api, django_assert_num_queries):
    stored = message()
    for i in range(10):
        StatusEvent.objects.create(
            message=stored, status="sent", received_at=T0, outcome="recorded", dedup_key=str(i)
        )

    # token, the message, its events.
    with django_assert_num_queries(3):
        admin_api.get(f"{URL}{stored.pk}/events/")


def test_the_error_code_meaning_comes_from_the_catalog(admin_api, monkeypatch):
    from deliveries.api import serializers
    from deliveries.error_codes import ErrorMeaning

    def meaning(*, provider: str, code: str) -> ErrorMeaning | None:
        return ErrorMeaning(code, "DLT template mismatch", True, "dlt_template") if code else None

    monkeypatch.setattr(serializers, "error_code_meaning", meaning)
    stored = message(status="failed", error_code="E-DLT-01")

    body = admin_api.get(f"{URL}{stored.pk}/").json()

    assert body["error_meaning"] == {
        "code": "E-DLT-01",
        "meaning": "DLT template mismatch",
        "permanent": True,
        "category": "dlt_template",
    }
