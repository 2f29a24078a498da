"""Applying reports: idempotent, and the result never depends on arrival order."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from deliveries.models import Campaign, Message, StatusEvent
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Outcome, Status

from ..helpers import examples

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 30, 4, 45, tzinfo=UTC)
_ids = itertools.count()


def report(message_id: str, status: Status, seconds: int, **fields: object) -> DeliveryReport:
    return DeliveryReport(
        provider="smstake",
        message_id=message_id,
        status=status,
        provider_status=status.value,
        event_time=T0 + timedelta(seconds=seconds),
        **fields,  # type: ignore[arg-type]
    )


def journey(message_id: str) -> list[DeliveryReport]:
    """Every report one message could get, including contradictory finals."""
    return [
        report(message_id, Status.SUBMITTED, 0, to="+919876543210", client_ref="otp_1"),
        report(message_id, Status.SENT, 1, operator="JIO"),
        report(message_id, Status.UNDELIVERED, 5, error_code="001"),
        report(message_id, Status.DELIVERED, 9, delivered_at=T0 + timedelta(seconds=9)),
        report(message_id, Status.READ, 30),
        report(message_id, Status.UNKNOWN, 12),
    ]


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=s.data())
def test_every_order_of_a_messages_reports_gives_the_same_message(data):
    message_id = f"perm-{next(_ids)}"
    reports = data.draw(
        s.lists(s.sampled_from(journey(message_id)), min_size=1, max_size=10), label="arrivals"
    )
    canonical_id = f"canon-{message_id}"
    canonical = sorted({r.status: r for r in reports}.values(), key=lambda r: r.event_time)

    for arrival in reports:  # one request per report, in the drawn order
        reports_apply(items=[(arrival, None)])
    for arrival in canonical:
        reports_apply(items=[(_renamed(arrival, canonical_id), None)])

    got = Message.objects.get(message_id=message_id)
    want = Message.objects.get(message_id=canonical_id)
    fields = ["status", "error_code", "delivered_at", "to", "operator", "client_ref"]
    assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields]
    assert got.events.count() == len({r.status for r in reports})


def _renamed(r: DeliveryReport, message_id: str) -> DeliveryReport:
    from dataclasses import replace

    return replace(r, message_id=message_id)


def test_applying_the_same_batch_twice_changes_nothing():
    batch = [(r, None) for r in journey("twice")]

    first = reports_apply(items=batch)
    before = Message.objects.values().get()
    second = reports_apply(items=batch)

    assert Outcome.DUPLICATE not in first
    assert second == [Outcome.DUPLICATE] * len(batch)
    after = Message.objects.values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert StatusEvent.objects.count() == len(batch)


def test_a_later_positive_final_clears_the_earlier_error():
    reports_apply(items=[(report("retry", Status.UNDELIVERED, 5, error_code="001"), None)])
    reports_apply(items=[(report("retry", Status.DELIVERED, 9), None)])

    message = Message.objects.get()
    assert (message.status, message.error_code) == ("delivered", "")


def test_a_message_joins_the_campaign_whose_prefix_its_client_ref_starts_with():
    Campaign.objects.create(name="Promo", ref_prefix="promo_")
    diwali = Campaign.objects.create(name="Diwali promo", ref_prefix="promo_diwali_")

    reports_apply(items=[(report("c1", Status.SENT, 1, client_ref="promo_diwali_42"), None)])
    reports_apply(items=[(report("c2", Status.SENT, 1, tag="promo_diwali_43"), None)])

    assert set(Message.objects.values_list("campaign", flat=True)) == {diwali.pk}


def test_several_reports_for_one_message_in_one_batch_are_applied_in_turn():
    outcomes = reports_apply(
        items=[
            (report("batch", Status.DELIVERED, 9), None),
            (report("batch", Status.SENT, 1), None),
            (report("batch", Status.DELIVERED, 9), None),
        ]
    )

    assert outcomes == [Outcome.APPLIED, Outcome.OUT_OF_ORDER, Outcome.DUPLICATE]
    assert Message.objects.get().status == "delivered"


def test_a_second_bulk_update_in_one_transaction_writes_only_its_own_rows():
    from django.db import transaction

    from deliveries.bulk import rows_update

    first = Message.objects.create(provider="smstake", message_id="first")
    second = Message.objects.create(provider="smstake", message_id="second")
    with transaction.atomic():
        rows_update(Message, ["id", "sender"], [(first.pk, "A")])
        Message.objects.filter(pk=first.pk).update(sender="B")
        # A batch retried one by one writes again in the same transaction.
        rows_update(Message, ["id", "sender"], [(second.pk, "C")])

    assert list(Message.objects.order_by("pk").values_list("sender", flat=True)) == ["B", "C"]
