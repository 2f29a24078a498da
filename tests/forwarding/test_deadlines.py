"""message.no_dlr: once per message, after its deadline, found by a scan, never before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries.models import Message
from deliveries.registration import messages_register
from deliveries.status import Status
from forwarding.deadlines import no_dlr_scan
from forwarding.drain import deliveries_drain
from forwarding.models import FINAL, NO_DLR, Delivery

from .test_outbox import _report, reports_and_write

pytestmark = pytest.mark.django_db


@pytest.fixture
def otp(subscription):
    subscription.event_types = [FINAL, NO_DLR]
    subscription.no_dlr_seconds = 20
    subscription.save()
    return subscription


def _register(message_id: str, submitted_at, **fields: object) -> Message:
    row = {"provider": "smstake", "message_id": message_id, "to": "+919876543210"}
    return messages_register(rows=[row | {"submitted_at": submitted_at, **fields}])[0][0]


def test_no_dlr_fires_once_after_the_deadline_and_a_later_final_still_arrives(otp, receiver):
    t0 = timezone.now()
    message = _register("m1", t0)

    assert no_dlr_scan(now=t0 + timedelta(seconds=19)) == 0
    assert no_dlr_scan(now=t0 + timedelta(seconds=20)) == 1
    assert no_dlr_scan(now=t0 + timedelta(seconds=40)) == 0  # once

    reports_and_write([_report("m1", Status.DELIVERED)])
    deliveries_drain(now=t0 + timedelta(seconds=41))

    no_dlr, final = sorted(receiver.verified, key=lambda p: p["sequence"])
    assert (no_dlr["type"], final["type"]) == (NO_DLR, FINAL)
    assert no_dlr["message"]["id"] == final["message"]["id"] == message.pk
    assert no_dlr["report"] is None
    assert no_dlr["occurred_at"] == (t0 + timedelta(seconds=20)).isoformat().replace("+00:00", "Z")


def test_a_final_report_before_the_deadline_means_no_no_dlr(otp):
    t0 = timezone.now()
    _register("m1", t0)
    reports_and_write([_report("m1", Status.FAILED)])

    assert no_dlr_scan(now=t0 + timedelta(seconds=30)) == 0
    assert not Delivery.objects.filter(event_type=NO_DLR).exists()


def test_an_interim_report_does_not_stop_the_deadline(otp):
    t0 = timezone.now()
    _register("m1", t0)
    reports_and_write([_report("m1", Status.SENT)])

    assert no_dlr_scan(now=t0 + timedelta(seconds=21)) == 1
    assert Delivery.objects.get(event_type=NO_DLR).status == "sent"


def test_the_scan_keeps_to_the_subscriptions_filters(otp):
    otp.providers = ["wavix"]
    otp.save()
    t0 = timezone.now()
    _register("m1", t0)

    assert no_dlr_scan(now=t0 + timedelta(seconds=21)) == 0


def test_messages_submitted_together_are_all_fired_across_chunks(otp, monkeypatch):
    monkeypatch.setattr("forwarding.deadlines.SCAN_CHUNK", 3)
    t0 = timezone.now()
    row = {"provider": "smstake", "to": "+919876543210", "submitted_at": t0}
    messages_register(rows=[row | {"message_id": f"m{n}"} for n in range(8)])

    assert no_dlr_scan(now=t0 + timedelta(seconds=21)) == 8
    assert no_dlr_scan(now=t0 + timedelta(seconds=22)) == 0


def test_a_subscription_without_no_dlr_gets_none(subscription):
    subscription.event_types = [FINAL]
    subscription.no_dlr_seconds = 20
    subscription.save()
    t0 = timezone.now()
    _register("m1", t0)

    assert no_dlr_scan(now=t0 + timedelta(seconds=30)) == 0
