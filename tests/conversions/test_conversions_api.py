"""POST /api/v1/conversions/: the sender says which messages converted, and when."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from conversions.models import Conversion
from conversions.services import conversions_record
from deliveries.models import DeliveryRollup, Message, ReportKey
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..factories import make_user
from ..helpers import requires_postgres

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversions/"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def deliver(provider: str, message_id: str, status: str, *, at: datetime, **fields: object) -> None:
    report = DeliveryReport(
        provider=provider,
        message_id=message_id,
        status=Status(status),
        provider_status=status.upper(),
        channel=str(fields.pop("channel", "sms")),
        operator="JIO",
        submitted_at=at,
        event_time=at + timedelta(seconds=4),
        **fields,  # type: ignore[arg-type]
    )
    reports_apply(items=[(report, None)])


def otp_journey() -> None:
    """One OTP: SMS delivered at 10:00:04, WhatsApp fallback delivered at 10:01:04,
    Voice fallback placed at 10:03 and answered at 10:03:04."""
    deliver("smstake", "sms-1", "delivered", at=T0, client_ref="otp-42")
    deliver("wavix", "wa-1", "delivered", at=T0 + timedelta(minutes=1), client_ref="otp-42")
    deliver("plivo", "call-1", "answered", at=T0 + timedelta(minutes=3), client_ref="otp-42")


def test_a_conversion_by_client_ref_credits_the_message_delivered_last_before_it(sender_api):
    otp_journey()

    # The OTP was typed at 10:02: the WhatsApp message had arrived, the call not yet.
    response = sender_api.post(
        URL, {"client_ref": "otp-42", "converted_at": "2026-11-20T10:02:00Z"}, format="json"
    )

    assert response.status_code == 201
    credited = Message.objects.get(message_id="wa-1")
    assert response.json() == {"outcome": "converted", "message": credited.pk}
    assert credited.converted_at == T0 + timedelta(minutes=2)
    assert set(Message.objects.filter(converted_at__isnull=False)) == {credited}
    assert Conversion.objects.get().matched_by == "client_ref"
    # Counted once, in the WhatsApp message's cell, converting 60 s after submission.
    cell = DeliveryRollup.objects.get(converted=1)
    assert (cell.provider, cell.status) == ("wavix", "delivered")


def test_the_same_feedback_twice_changes_nothing_and_answers_200(sender_api):
    otp_journey()
    body = {"client_ref": "otp-42", "converted_at": "2026-11-20T10:02:00Z"}
    sender_api.post(URL, body, format="json")

    again = sender_api.post(
        URL, [body, {**body, "converted_at": "2026-11-20T10:05:00Z"}], format="json"
    )

    assert again.status_code == 200
    assert [r["outcome"] for r in again.json()] == ["unchanged", "unchanged"]
    assert Message.objects.filter(converted_at__isnull=False).count() == 1
    assert sum(DeliveryRollup.objects.values_list("converted", flat=True)) == 1


def test_a_batch_names_messages_by_provider_id_and_by_our_id(sender_api):
    deliver("smstake", "a", "delivered", at=T0)
    deliver("smstake", "b", "sent", at=T0)
    b = Message.objects.get(message_id="b")

    response = sender_api.post(
        URL,
        [
            {"provider": "smstake", "message_id": "a", "converted_at": "2026-11-20T10:00:30Z"},
            {"id": b.pk, "converted_at": "2026-11-20T10:00:40Z"},
            {"provider": "smstake", "message_id": "nope", "converted_at": "2026-11-20T10:00:40Z"},
        ],
        format="json",
    )

    assert response.status_code == 201
    assert [r["outcome"] for r in response.json()] == ["converted", "converted", "not_found"]
    # A message still "sent" that converted: the recipient got it, the DLR did not come.
    b.refresh_from_db()
    assert b.converted_at is not None and b.status == "sent"


def test_an_earlier_time_replaces_a_later_one(sender_api):
    deliver("smstake", "a", "delivered", at=T0)
    item = {"provider": "smstake", "message_id": "a"}
    sender_api.post(URL, {**item, "converted_at": "2026-11-20T10:05:00Z"}, format="json")

    response = sender_api.post(URL, {**item, "converted_at": "2026-11-20T10:01:00Z"}, format="json")

    assert response.json()["outcome"] == "earlier"
    assert Message.objects.get().converted_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    "body",
    [
        {"converted_at": "2026-11-20T10:00:00Z"},  # no message named
        {"provider": "smstake", "converted_at": "2026-11-20T10:00:00Z"},
        {"id": 1, "client_ref": "x", "converted_at": "2026-11-20T10:00:00Z"},
        {"id": 1, "converted_at": "yesterday"},
        {"id": 1, "converted_at": "2999-01-01T00:00:00Z"},
        [],
        "text",
        [{"id": 1, "converted_at": "2026-11-20T10:00:00Z"}] * 1001,
    ],
)
def test_bad_input_is_a_400_never_a_500(sender_api, body):
    response = sender_api.post(URL, body, format="json")

    assert response.status_code == 400


def test_only_senders_and_administrators_report_conversions(token_client):
    body = {"id": 1, "converted_at": "2026-11-20T10:00:00Z"}

    manager = token_client(make_user("Campaign manager")).post(URL, body, format="json")
    admin = token_client(make_user("Administrator")).post(URL, body, format="json")

    assert manager.status_code == 403
    assert admin.status_code == 200  # allowed; no such message


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_conversions_of_one_journey_credit_one_message():
    """Feedback for one OTP posted twice at once, with times that alone would credit
    different messages (the SMS, then the WhatsApp fallback): the journey converts once."""
    barrier = threading.Barrier(2)

    def post(minutes: int) -> None:
        try:
            barrier.wait(timeout=10)
            at = T0 + timedelta(minutes=minutes)
            conversions_record(items=[{"client_ref": "otp-42", "converted_at": at}])
        finally:
            connection.close()

    for _ in range(3):
        otp_journey()
        threads = [threading.Thread(target=post, args=(m,)) for m in (2, 0)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert Message.objects.filter(converted_at__isnull=False).count() == 1
        assert sum(DeliveryRollup.objects.values_list("converted", flat=True)) == 1
        Conversion.objects.all().delete()
        Message.objects.all().delete()
        ReportKey.objects.all().delete()
        DeliveryRollup.objects.all().delete()
