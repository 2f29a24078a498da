"""Why is it still Sent? A pending message's page explains its wait in one sentence."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from deliveries.models import Message
from deliveries.pending import OutsideFacts, message_pending_explain
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status
from webhooks.models import WebhookEndpoint

from ..factories import make_user

pytestmark = pytest.mark.django_db


def route_history(now: datetime, *, n: int = 40, latency: float = 4.0) -> None:
    """A week of smstake/JIO/sms deliveries, each reported `latency` seconds after submit."""
    reports = []
    for i in range(n):
        at = now - timedelta(hours=2 + i)
        for status in ("sent", "delivered"):
            reports.append(
                (
                    DeliveryReport(
                        provider="smstake",
                        message_id=f"old-{i}",
                        status=Status(status),
                        provider_status=status.upper(),
                        channel="sms",
                        operator="JIO",
                        submitted_at=at,
                        event_time=at + timedelta(seconds=latency if status == "delivered" else 1),
                    ),
                    None,
                )
            )
    reports_apply(items=reports)


def sent_message(now: datetime, *, ago: timedelta) -> Message:
    at = now - ago
    report = DeliveryReport(
        provider="smstake",
        message_id="stuck",
        status=Status.SENT,
        provider_status="SENT",
        channel="sms",
        operator="JIO",
        submitted_at=at,
        event_time=at + timedelta(seconds=1),
    )
    reports_apply(items=[(report, None)])
    return Message.objects.get(message_id="stuck")


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_message_within_its_routes_usual_wait_says_so():
    route_history(NOW)
    message = sent_message(NOW, ago=timedelta(seconds=3))

    found = message_pending_explain(message=message, now=NOW)

    assert found is not None
    assert found.sentence.startswith("Still within the usual wait")
    assert found.latency_p95 is not None and found.latency_p95 < 10
    assert found.coverage == pytest.approx(40 / 41)
    assert found.no_dlr_at == NOW - timedelta(seconds=3) + timedelta(hours=48)


def test_a_silent_endpoint_is_named_as_the_likely_cause():
    route_history(NOW)
    message = sent_message(NOW, ago=timedelta(minutes=20))
    quiet = OutsideFacts(endpoint_last_received_at=NOW - timedelta(hours=1), has_endpoint=True)

    found = message_pending_explain(message=message, now=NOW, facts=quiet)

    assert found is not None
    assert found.sentence.startswith("smstake has sent no reports at all since")


def test_a_late_message_on_a_route_that_is_still_reporting_is_called_late():
    route_history(NOW)
    message = sent_message(NOW, ago=timedelta(minutes=20))
    busy = OutsideFacts(endpoint_last_received_at=NOW - timedelta(seconds=5), has_endpoint=True)

    found = message_pending_explain(message=message, now=NOW, facts=busy)

    assert found is not None
    assert found.sentence.startswith("Later than usual")


def test_a_delivered_message_has_nothing_to_explain():
    route_history(NOW)

    assert message_pending_explain(message=Message.objects.get(message_id="old-0"), now=NOW) is None


def test_the_message_page_puts_the_sentence_first_with_the_endpoint_and_deadline(client: Client):
    now = timezone.now()
    route_history(now)
    WebhookEndpoint.objects.create(
        provider="smstake", slug="stk", secrets=["s"], last_received_at=now - timedelta(hours=3)
    )
    message = sent_message(now, ago=timedelta(minutes=30))
    client.force_login(make_user("Support"))

    html = client.get(f"/trace/message/{message.pk}/").content.decode()

    assert "Why is it still Sent?" in html
    assert "smstake has sent no reports at all since this message went out 30 min ago" in html
    assert "nothing received since this message went out" in html
    assert "Counts as “no DLR”" in html
