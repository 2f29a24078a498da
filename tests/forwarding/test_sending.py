"""Sending: signed per Standard Webhooks (checked by a real receiver using the
`standardwebhooks` package), retried with backoff on a controlled clock, dead-lettered,
stopped by 410 and by a deleted or disabled subscription."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries.reports import DeliveryReport
from deliveries.status import Status
from dlrdash.outbound import sending
from forwarding import drain
from forwarding.drain import CLAIM_SECONDS, deliveries_drain
from forwarding.models import FINAL, STATUS, Delivery, DeliveryAttempt, Subscription
from forwarding.services import deliveries_prune, deliveries_replay

from .receiver import Receiver, json_answer
from .test_outbox import reports_and_write

pytestmark = pytest.mark.django_db


def _delivered(message_id: str = "m1", **fields: object) -> None:
    reports_and_write(
        [
            DeliveryReport(
                provider="smstake",
                message_id=message_id,
                status=Status.DELIVERED,
                provider_status="delivered",
                provider_code="DELIVRD",
                to="+919876543210",
                client_ref="otp_42",
                **fields,  # type: ignore[arg-type]
            )
        ]
    )


def test_a_delivery_arrives_signed_with_the_documented_payload(receiver, subscription):
    _delivered()

    assert deliveries_drain() == 2

    assert [r.error for r in receiver.received] == ["", ""]
    # Sent concurrently: they may arrive in either order; `sequence` tells.
    status, final = sorted(receiver.verified, key=lambda p: p["sequence"])
    assert (status["type"], final["type"]) == (STATUS, FINAL)
    assert final["version"] == 1
    assert (final["status"], final["previous_status"]) == ("delivered", None)
    assert final["sequence"] > status["sequence"]
    assert final["message"]["provider"] == "smstake"
    assert final["message"]["message_id"] == "m1"
    assert final["message"]["client_ref"] == "otp_42"
    assert final["message"]["to"] is None  # not opted in
    assert final["report"]["provider_code"] == "DELIVRD"
    webhook_ids = {r.headers["webhook-id"] for r in receiver.received}
    assert webhook_ids == {d.webhook_id for d in Delivery.objects.all()}
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    attempt = DeliveryAttempt.objects.order_by("pk")[0]
    assert attempt.status_code == 204 and attempt.latency_ms is not None


def test_phone_numbers_are_sent_only_to_a_subscription_that_opts_in(receiver, subscription):
    subscription.include_phone_numbers = True
    subscription.save()
    _delivered()

    deliveries_drain()

    assert {p["message"]["to"] for p in receiver.verified} == {"+919876543210"}


def test_every_secret_signs_so_a_receiver_on_either_side_of_a_rotation_verifies(
    receiver, subscription
):
    from alerts.models import webhook_secret_generate

    subscription.secrets = [webhook_secret_generate(), receiver.secret]
    subscription.save()
    _delivered()

    deliveries_drain()

    assert len(receiver.verified) == 2
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2


def test_a_failing_receiver_is_retried_with_growing_delays_and_the_same_webhook_id(
    receiver, subscription, settings
):
    settings.FORWARDING_RETRY_BASE_SECONDS = 10
    answers = iter([500, 503, 200])
    receiver.answer = lambda _: (next(answers), b"busy", {})
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()
    t0 = timezone.now()
    delivery = Delivery.objects.get()

    deliveries_drain(now=t0)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    # 10 s for the first retry, with jitter between half and all of it.
    assert t0 + timedelta(seconds=5) <= delivery.next_attempt_at <= t0 + timedelta(seconds=10)
    assert deliveries_drain(now=t0 + timedelta(seconds=4)) == 0  # not due, target paused

    t1 = t0 + timedelta(seconds=11)
    deliveries_drain(now=t1)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert t1 + timedelta(seconds=10) <= delivery.next_attempt_at <= t1 + timedelta(seconds=20)

    deliveries_drain(now=t1 + timedelta(seconds=21))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 3)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    log = DeliveryAttempt.objects.order_by("attempted_at").values_list("status_code", "response")
    assert list(log) == [(500, "busy"), (503, "busy"), (200, "busy")]
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.paused_until is None


def test_a_receiver_that_is_down_pauses_its_subscription_instead_of_failing_every_row(
    receiver, subscription, settings
):
    # No retry may come due while this drain runs, however slow the machine.
    settings.FORWARDING_RETRY_BASE_SECONDS = 3600
    receiver.answer = lambda _: (500, b"", {})
    for n in range(20):
        _delivered(message_id=f"m{n}")

    deliveries_drain()

    # In-flight requests may all fail at once, but the rest of the batch is not tried.
    assert len(receiver.received) <= 8
    assert Delivery.objects.filter(attempts=0, state="pending").count() >= 32
    subscription.refresh_from_db()
    assert subscription.failing_since is not None and subscription.paused_until is not None


def test_a_delivery_failing_past_its_retry_window_is_dead_lettered(receiver, subscription):
    receiver.answer = lambda _: (500, b"", {})
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()
    delivery = Delivery.objects.get()

    deliveries_drain(now=delivery.expires_at + timedelta(seconds=1))

    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.attempts == 0  # never sent: its window was over when it was claimed


def test_410_gone_disables_the_subscription_and_stops_its_deliveries(receiver, subscription):
    receiver.answer = lambda _: (410, b"", {})
    _delivered()

    deliveries_drain()
    sent = len(receiver.received)  # both may have been in flight when the first 410 came

    subscription.refresh_from_db()
    assert not subscription.active
    assert "410" in subscription.disabled_reason
    receiver.answer = lambda _: (204, b"", {})
    later = timezone.now() + timedelta(hours=1)
    assert deliveries_drain(now=later) == 0
    assert len(receiver.received) == sent


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receiver, subscription):
    receiver.answer = lambda _: (302, b"", {"location": "http://169.254.169.254/"})
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()

    deliveries_drain()

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status_code) == ("pending", 302)
    assert len(receiver.received) == 1


def test_a_huge_answer_is_read_no_further_than_the_cap(receiver, subscription):
    receiver.answer = lambda _: (200, b"x" * (10 * 2**20), {})
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()

    deliveries_drain()

    attempt = DeliveryAttempt.objects.order_by("pk")[0]
    assert attempt.status_code == 200 and len(attempt.response) == 1024
    assert Delivery.objects.get().state == "delivered"


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    receiver, subscription, monkeypatch
):
    import threading

    release = threading.Event()
    monkeypatch.setattr(sending, "TOTAL_TIMEOUT", 0.3)

    def slow(_: object) -> tuple[int, bytes, dict[str, str]]:
        release.wait(5)
        return 200, b"", {}

    receiver.answer = slow
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()

    deliveries_drain()
    release.set()

    delivery = Delivery.objects.get()
    assert delivery.state == "pending" and delivery.last_status_code is None
    assert delivery.last_error == "timed out"


def test_a_worker_killed_mid_send_leaves_the_row_to_be_sent_again_with_the_same_id(
    receiver, subscription
):
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()
    t0 = timezone.now()
    claimed, _ = drain._claim(t0)  # claimed and sent, but the worker dies before recording
    assert len(claimed) == 1

    assert deliveries_drain(now=t0 + timedelta(seconds=CLAIM_SECONDS - 1)) == 0
    assert deliveries_drain(now=t0 + timedelta(seconds=CLAIM_SECONDS + 1)) == 1
    assert receiver.received[0].headers["webhook-id"] == claimed[0].webhook_id


def test_replay_sends_a_delivered_notification_again_with_the_same_webhook_id(
    receiver, subscription
):
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()
    deliveries_drain()

    since = timezone.now() - timedelta(hours=1)
    assert deliveries_replay(subscription=subscription, since=since) == 1
    deliveries_drain()

    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.payload["sequence"] == again.payload["sequence"]


def test_deliveries_of_a_disabled_or_deleted_subscription_stop_and_are_pruned(
    receiver, subscription
):
    _delivered()
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    assert deliveries_drain() == 0

    subscription.delete()
    assert deliveries_drain() == 0
    assert receiver.received == []
    assert deliveries_prune() == 2
    assert not Delivery.objects.exists()


def test_an_answer_with_a_json_body_is_kept_in_the_log(receiver, subscription):
    receiver.answer = lambda _: json_answer(200, {"ok": True})
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()

    deliveries_drain()

    assert DeliveryAttempt.objects.get().response == '{"ok": true}'


def test_a_receiver_unreachable_is_recorded_as_why(subscription: Subscription, receiver: Receiver):
    receiver.stop()
    subscription.event_types = [FINAL]
    subscription.save()
    _delivered()

    deliveries_drain()

    delivery = Delivery.objects.get()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.last_error == "connection refused"  # a class: no address, no port
