"""The outbox is written in the transaction that applies the reports, once per change."""

from typing import Any

import pytest
from django.db import transaction

from deliveries.models import Message
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status
from forwarding.models import FINAL, NO_DLR, STATUS, Delivery, Subscription
from forwarding.outbox import outbox_write
from webhooks import tasks
from webhooks.models import InboundEvent

from ..helpers import fixture_bytes

pytestmark = pytest.mark.django_db


def _report(message_id: str, status: Status, **fields: object) -> DeliveryReport:
    return DeliveryReport(
        provider="smstake",
        message_id=message_id,
        status=status,
        provider_status=status.value.upper(),
        **fields,  # type: ignore[arg-type]
    )


def _rows() -> list[tuple[str, str, str]]:
    return list(
        Delivery.objects.order_by("pk").values_list("event_type", "previous_status", "status")
    )


def test_each_applied_report_writes_a_status_notification_and_the_first_final_one_more(
    post_smstake, subscription
):
    post_smstake(fixture_bytes("smstake", "sent.json"))
    post_smstake(fixture_bytes("smstake", "delivered.json"))

    assert _rows() == [
        (STATUS, "", "sent"),
        (STATUS, "sent", "delivered"),
        (FINAL, "sent", "delivered"),
    ]
    final = Delivery.objects.get(event_type=FINAL)
    assert (final.provider_code, final.subscription_id) == ("DELIVRD", subscription.pk)
    assert final.message_id == Message.objects.get().pk


def test_duplicate_and_out_of_order_reports_write_no_notification(post_smstake, subscription):
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    post_smstake(fixture_bytes("smstake", "delivered.json"))  # the provider's retry
    post_smstake(fixture_bytes("smstake", "sent.json"))  # late: delivered outranks it

    assert _rows() == [(STATUS, "", "delivered"), (FINAL, "", "delivered")]


def test_a_better_final_after_a_failure_is_a_status_change_but_not_a_second_final(subscription):
    reports_and_write([_report("m1", Status.UNDELIVERED)])
    reports_and_write([_report("m1", Status.DELIVERED)])

    assert _rows() == [
        (STATUS, "", "undelivered"),
        (FINAL, "", "undelivered"),
        (STATUS, "undelivered", "delivered"),
    ]


def reports_and_write(reports: list[DeliveryReport]) -> None:
    with transaction.atomic():
        changes: list[Any] = []
        reports_apply(items=[(r, None) for r in reports], changes_into=changes)
        outbox_write(changes=changes)


def test_a_rolled_back_apply_leaves_no_notification(subscription):
    with pytest.raises(RuntimeError), transaction.atomic():
        reports_and_write([_report("m1", Status.DELIVERED)])
        raise RuntimeError("the batch fails after the outbox was written")

    assert not Message.objects.exists()
    assert not Delivery.objects.exists()


def test_a_failed_inbox_batch_writes_nothing_and_its_retry_writes_each_notification_once(
    client, smstake_endpoint, subscription, monkeypatch
):
    def broken(changes: object) -> None:
        raise RuntimeError("rollup cell locked out")

    monkeypatch.setattr("deliveries.rollups.rollups_apply", broken)
    for name in ("sent.json", "delivered.json"):
        body = fixture_bytes("smstake", name)
        from ..helpers import smstake_sign

        client.post(
            "/webhooks/smstake/",
            data=body,
            content_type="application/json",
            headers={"X-SMSTAKE-Signature": smstake_sign(body)},
        )
    tasks.drain_inbox()  # the batch fails, then each event alone fails too
    assert not Delivery.objects.exists()
    assert set(InboundEvent.objects.values_list("outcome", flat=True)) == {"error"}

    monkeypatch.undo()
    InboundEvent.objects.update(next_attempt_at=None)
    tasks.drain_inbox()

    assert [event for event, _, _ in _rows()] == [STATUS, STATUS, FINAL]


def test_filters_pick_the_subscriptions_a_change_goes_to(subscription):
    def make(name: str, **filters: object) -> Subscription:
        return Subscription.objects.create(
            name=name, url=subscription.url, event_types=[FINAL], **filters
        )

    failures = make("failures", statuses=["undelivered", "failed"])
    wavix = make("wavix only", providers=["wavix"])
    orders = make("orders", client_ref_prefix="order_")
    voice = make("voice", channels=["voice"])
    off = make("disabled", active=False)

    reports_and_write([_report("m1", Status.UNDELIVERED, client_ref="order_1", channel="sms")])

    got = set(Delivery.objects.values_list("subscription_id", flat=True))
    assert failures.pk in got and orders.pk in got and subscription.pk in got
    assert not got & {wavix.pk, voice.pk, off.pk}


def test_without_an_active_subscription_applying_writes_nothing(db):
    reports_and_write([_report("m1", Status.DELIVERED)])

    assert not Delivery.objects.exists()


def test_a_first_report_after_the_deadline_fires_no_dlr_at_once(subscription):
    from datetime import timedelta

    from django.utils import timezone

    subscription.no_dlr_seconds = 20
    subscription.save()
    submitted = timezone.now() - timedelta(seconds=60)

    reports_and_write([_report("m1", Status.SENT, submitted_at=submitted)])
    reports_and_write([_report("m1", Status.DELIVERED)])

    assert [event for event, _, _ in _rows()] == [STATUS, NO_DLR, STATUS, FINAL]
    no_dlr = Delivery.objects.get(event_type=NO_DLR)
    assert no_dlr.occurred_at == submitted + timedelta(seconds=20)


def test_the_payloads_message_is_the_apis_message_representation(db):
    from datetime import UTC, datetime

    from deliveries.api.serializers import MessageSerializer
    from deliveries.models import Campaign
    from forwarding.payload import message_represent

    campaign = Campaign.objects.create(name="OTP", ref_prefix="otp_")
    when = datetime(2026, 6, 30, 4, 45, 1, 123456, tzinfo=UTC)
    full = Message.objects.create(
        provider="smstake",
        message_id="m-full",
        channel="whatsapp",
        to="+919876543210",
        status="undelivered",
        error_code="001",
        segments=2,
        call_duration=0,
        campaign=campaign,
        submitted_at=when,
        delivered_at=when,
        status_changed_at=when,
    )
    bare = Message.objects.create(provider="wavix", message_id="m-bare")

    for message in (full, bare):
        expected = dict(MessageSerializer(message).data)
        got = message_represent(message)
        expected.pop("to")  # masked by the API; set per subscription in the payload
        assert got.pop("to") is None
        assert got == expected
