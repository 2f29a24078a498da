"""POST /api/v1/messages/: the sending service registers its outgoing messages."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries.models import Campaign, Message, StatusEvent

from ..helpers import ON_POSTGRES, fixture_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"
OTP = {
    "provider": "smstake",
    "message_id": "stk_8f2a61c0",
    "to": "+91 98765 43210",
    "channel": "sms",
    "sender": "DLRDSH",
    "client_ref": "otp_login_000123",
    "submitted_at": "2026-11-23T10:15:00Z",
    "segments": 1,
    "dlt_template_id": "1207165123456789012",
}


def test_one_message_is_registered_with_its_number_in_e164(sender_api):
    response = sender_api.post(URL, OTP, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["message_id"] == "stk_8f2a61c0"
    assert body["to"] == "+919876543210"
    assert body["status"] == "unknown"
    message = Message.objects.get()
    assert (message.to, message.to_raw) == ("+919876543210", "+91 98765 43210")
    assert message.submitted_at == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert message.registered_at is not None
    # No report has touched it: the status is a placeholder, not a fact.
    assert message.status_changed_at is None


def test_a_thousand_messages_register_in_one_call_with_a_bounded_number_of_queries(sender_api):
    campaign = Campaign.objects.create(name="Diwali", ref_prefix="diwali_")
    rows = [
        {
            "provider": "wavix",
            "message_id": f"wvx-{i:05d}",
            "to": f"9198765{i:05d}",
            "client_ref": f"diwali_{i}",
        }
        for i in range(1000)
    ]

    with CaptureQueriesContext(connection) as queries:
        response = sender_api.post(URL, rows, format="json")

    assert response.status_code == 201
    assert len(response.json()) == 1000
    assert Message.objects.filter(campaign=campaign, registered_at__isnull=False).count() == 1000
    # Token, permissions, the savepoint and its release, the locking insert (which returns
    # the rows), campaign prefixes, the update (create and empty the scratch table, COPY,
    # UPDATE … FROM), the rollups (hourly, then daily), the rate card's version (the messages
    # are priced) and the spend rollup: fifteen on PostgreSQL, whatever the number of rows.
    # SQLite's 999-parameter limit makes Django split the insert into batches of ~30 rows.
    assert len(queries) == 15 if ON_POSTGRES else len(queries) <= 47, len(queries)


def test_re_posting_changes_nothing_and_answers_200_with_the_stored_rows(sender_api):
    first = sender_api.post(URL, OTP, format="json").json()

    again = sender_api.post(URL, {**OTP, "sender": "OTHER", "to": "+919999999999"}, format="json")

    assert again.status_code == 200
    assert again.json() == first
    message = Message.objects.get()
    assert (message.sender, message.to) == ("DLRDSH", "+919876543210")


def test_a_list_answers_201_when_any_message_is_new_and_keeps_the_old_ones(sender_api):
    sender_api.post(URL, OTP, format="json")

    response = sender_api.post(URL, [OTP, {**OTP, "message_id": "stk_new"}], format="json")

    assert response.status_code == 201
    assert [m["message_id"] for m in response.json()] == ["stk_8f2a61c0", "stk_new"]
    assert Message.objects.count() == 2


def test_a_dlr_that_arrived_first_is_completed_by_the_registration(post_smstake, sender_api):
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    reported = Message.objects.get()

    response = sender_api.post(
        URL,
        {
            "provider": "smstake",
            "message_id": "msg_8f3k2j9x1m",
            "to": "+91 90000 00000",  # the report's number wins: it was there first
            "client_ref": "something_else",
            "tag": "otp",
            "segments": 2,
        },
        format="json",
    )

    assert response.status_code == 201
    message = Message.objects.get()
    assert message.pk == reported.pk
    assert message.status == "delivered"
    assert message.status_changed_at == reported.status_changed_at
    assert (message.to, message.client_ref, message.operator) == (
        "+919876543210",
        "order_ORD2847",
        "JIO",
    )
    assert (message.tag, message.segments) == ("otp", 2)
    assert message.registered_at is not None


def test_a_registration_that_came_first_is_moved_by_the_later_dlr(post_smstake, sender_api):
    sender_api.post(
        URL,
        {"provider": "smstake", "message_id": "msg_8f3k2j9x1m", "to": "09876543210", "tag": "t"},
        format="json",
    )

    post_smstake(fixture_bytes("smstake", "delivered.json"))

    message = Message.objects.get()
    assert message.status == "delivered"
    assert message.status_changed_at is not None
    assert (message.to_raw, message.tag, message.operator) == ("09876543210", "t", "JIO")
    assert StatusEvent.objects.get().outcome == "applied"


def test_the_campaign_comes_from_an_explicit_id_or_from_the_ref_prefix(sender_api):
    promo = Campaign.objects.create(name="Promo", ref_prefix="promo_")
    other = Campaign.objects.create(name="Other", ref_prefix="other_")

    response = sender_api.post(
        URL,
        [
            {**OTP, "message_id": "a", "client_ref": "promo_1"},
            {**OTP, "message_id": "b", "client_ref": "promo_2", "campaign": other.pk},
        ],
        format="json",
    )

    assert [m["campaign"] for m in response.json()] == [promo.pk, other.pk]


def test_errors_in_a_list_are_keyed_by_the_index_of_the_row(sender_api):
    rows = [{**OTP, "message_id": str(i)} for i in range(5)]
    rows[1] = {**rows[1], "campaign": 999}
    rows[3] = {**rows[3], "to": "not a phone"}
    del rows[4]["message_id"]

    response = sender_api.post(URL, rows, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "3": {"to": ["Not a valid phone number."]},
        "4": {"message_id": ["This field is required."]},
    }
    assert not Message.objects.exists()


def test_an_unknown_campaign_in_a_valid_list_is_named_by_index(sender_api):
    rows = [{**OTP, "message_id": "a"}, {**OTP, "message_id": "b", "campaign": 999}]

    response = sender_api.post(URL, rows, format="json")

    assert response.status_code == 400
    assert response.json() == {"1": {"campaign": ["No campaign with id 999."]}}


def test_an_invalid_phone_number_is_a_400_naming_the_field(sender_api):
    response = sender_api.post(URL, {**OTP, "to": "12"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"to": ["Not a valid phone number."]}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'"a string"', "application/json"),
        (b"[]", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"provider=x", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_a_400_or_415_never_a_500(sender_api, body, content_type):
    response = sender_api.generic("POST", URL, body, content_type=content_type)

    assert response.status_code in (400, 415)
    assert response.json()


def test_a_submitted_time_without_a_utc_equivalent_is_a_400(sender_api):
    response = sender_api.post(
        URL, {**OTP, "submitted_at": "9999-12-31T23:59:59-14:00"}, format="json"
    )

    assert response.status_code == 400
    assert "submitted_at" in response.json()


def test_more_than_a_thousand_rows_are_refused(sender_api):
    rows = [{**OTP, "message_id": str(i)} for i in range(1001)]

    response = sender_api.post(URL, rows, format="json")

    assert response.status_code == 400
    assert "1000" in str(response.json())
    assert not Message.objects.exists()
