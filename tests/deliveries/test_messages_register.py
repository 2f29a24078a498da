"""messages_register: the registration service, including its race with reports_apply."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from deliveries import status as st
from deliveries.models import Message, ReportKey
from deliveries.registration import messages_register
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply

from ..helpers import requires_postgres

ROW = {"provider": "smstake", "message_id": "m1", "to": "+919876543210", "to_raw": "98765 43210"}
DELIVERED = DeliveryReport(
    provider="smstake",
    message_id="m1",
    status=st.Status.DELIVERED,
    provider_status="DELIVRD",
    event_time=datetime(2026, 11, 23, 10, 15, 3, tzinfo=UTC),
    operator="JIO",
)


@pytest.mark.django_db
def test_a_key_listed_twice_in_one_call_is_registered_once():
    results = messages_register(rows=[ROW, {**ROW, "sender": "LATER"}])

    assert [registered for _, registered in results] == [True, False]
    assert results[0][0].pk == results[1][0].pk
    assert Message.objects.get().sender == ""


@pytest.mark.django_db
def test_an_empty_call_does_nothing():
    assert messages_register(rows=[]) == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_registration_and_a_report_racing_end_as_one_complete_message():
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(work) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    for _ in range(5):
        Message.objects.all().delete()
        ReportKey.objects.all().delete()  # else the report is a duplicate the next time
        threads = [
            threading.Thread(target=run, args=(lambda: messages_register(rows=[ROW]),)),
            threading.Thread(target=run, args=(lambda: reports_apply(items=[(DELIVERED, None)]),)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        message = Message.objects.get()
        assert message.status == "delivered"
        assert message.registered_at is not None
        assert (message.to_raw, message.operator) == ("98765 43210", "JIO")
