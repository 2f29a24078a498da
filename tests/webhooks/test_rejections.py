"""Requests that fail authentication: a bounded extract is logged, and floods are counted."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from webhooks import rejections
from webhooks.models import InboundEvent, RejectionCount, WebhookEndpoint
from webhooks.providers.smstake import SmstakeProvider
from webhooks.selectors import endpoint_health

from ..support import smstake_report

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """timezone.now(), held at NOW until the test moves it."""
    moment = [NOW]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])
    return moment


def unlogged_metric() -> float:
    value = REGISTRY.get_sample_value(
        "dlrdash_webhook_rejections_unlogged_total", {"provider": "smstake"}
    )
    return value or 0.0


def health(endpoint: WebhookEndpoint) -> Any:  # carries the health annotations
    return endpoint_health(
        queryset=WebhookEndpoint.objects.filter(pk=endpoint.pk), now=timezone.now()
    ).get()


def test_a_forged_request_with_a_400_kb_header_is_logged_in_brief(post_smstake) -> None:
    response = post_smstake(
        smstake_report(),
        signature="sha256=" + "0" * 64,
        QUERY_STRING="to=" + "9" * 50_000,
        HTTP_X_PADDING="a" * 400_000,
        HTTP_USER_AGENT="curl/8 " + "b" * 5_000,
    )

    assert response.status_code == 401
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.body) == (False, b"")
    assert "x-padding" not in event.headers
    # What explains a refusal stays: who sent it, and that a signature came (redacted).
    assert event.headers["user-agent"].startswith("curl/8 ")
    assert len(event.headers["user-agent"]) == rejections.MAX_VALUE
    assert event.headers["x-smstake-signature"] == "[redacted]"
    assert len(json.dumps(event.headers)) < 5_000
    assert len(event.query_string) == rejections.MAX_QUERY


def test_an_authentic_request_keeps_its_headers_whole(post_smstake) -> None:
    response = post_smstake(smstake_report(), HTTP_X_TRACE="t" * 1_000)

    assert response.status_code == 200
    assert InboundEvent.objects.get().headers["x-trace"] == "t" * 1_000


def test_the_extract_keeps_only_a_few_short_named_headers() -> None:
    headers = {f"x-timestamp-{i}": "1" for i in range(40)}
    headers["x-" + "signature" * 10] = "[redacted]"  # named like one, but absurdly long
    headers["cookie-ish"] = "c"
    headers["user-agent"] = "SMSTAKE-Webhooks/2.1"  # sent last, still kept
    headers["x-smstake-signature"] = "[redacted]"

    kept, _ = rejections.rejected_extract(SmstakeProvider(), headers, "")

    assert len(kept) == rejections.MAX_HEADERS
    assert list(kept)[:2] == ["user-agent", "x-smstake-signature"]
    assert all(name.startswith("x-timestamp-") for name in list(kept)[2:])


def test_a_flood_of_forged_requests_is_counted_not_logged_row_by_row(
    post_smstake, smstake_endpoint, clock, settings
) -> None:
    settings.WEBHOOK_REJECTED_LOG_PER_MINUTE = 5
    metric_before = unlogged_metric()

    answers = [post_smstake(smstake_report(), signature="sha256=bad") for _ in range(12)]

    assert {a.status_code for a in answers} == {401}
    assert InboundEvent.objects.filter(auth_ok=False).count() == 5
    assert RejectionCount.objects.get().count == 7
    assert unlogged_metric() - metric_before == 7
    # The endpoint's health counts every one of them.
    endpoint = health(smstake_endpoint)
    assert (endpoint.auth_failures_hour, endpoint.received_hour) == (12, 12)


def test_the_next_minute_logs_rejections_again(
    post_smstake, smstake_endpoint, clock, settings
) -> None:
    settings.WEBHOOK_REJECTED_LOG_PER_MINUTE = 1
    for _ in range(3):
        post_smstake(smstake_report(), signature="sha256=bad")
    clock[0] = NOW + timedelta(minutes=1)

    post_smstake(smstake_report(), signature="sha256=bad")

    assert InboundEvent.objects.filter(auth_ok=False).count() == 2
    assert health(smstake_endpoint).auth_failures_hour == 4
    # Counts past the hour leave the hour's figure, not the day's.
    clock[0] = NOW + timedelta(minutes=75)
    assert (
        health(smstake_endpoint).auth_failures_hour,
        health(smstake_endpoint).auth_failures_day,
    ) == (0, 4)


def test_authentic_reports_are_logged_whatever_the_flood(post_smstake, clock, settings) -> None:
    settings.WEBHOOK_REJECTED_LOG_PER_MINUTE = 1
    for _ in range(3):
        post_smstake(smstake_report(), signature="sha256=bad")

    assert post_smstake(smstake_report()).status_code == 200
    assert InboundEvent.objects.filter(auth_ok=True).count() == 1


def test_old_rejection_counts_go_with_the_log_retention(smstake_endpoint) -> None:
    old = NOW - timedelta(days=100)
    RejectionCount.objects.create(endpoint=smstake_endpoint, minute=old, count=3)
    RejectionCount.objects.create(endpoint=smstake_endpoint, minute=NOW, count=2)

    assert rejections.rejection_counts_prune(before=NOW - timedelta(days=90)) == 1
    assert list(RejectionCount.objects.values_list("count", flat=True)) == [2]


@pytest.mark.django_db(transaction=True)
def test_counts_reach_the_database_shortly_after_without_another_request(
    post_smstake, smstake_endpoint, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WEBHOOK_REJECTED_LOG_PER_MINUTE = 1
    # The timer thread writes them, once the four requests are in (usually one flush).
    monkeypatch.setattr(rejections, "FLUSH_SECONDS", 0.3)
    flushed = threading.Event()
    flush = rejections.rejections_flush

    def flush_and_tell() -> int:
        try:
            return flush()
        finally:
            flushed.set()

    monkeypatch.setattr(rejections, "rejections_flush", flush_and_tell)
    for _ in range(4):
        post_smstake(smstake_report(), signature="sha256=bad")

    # Wait for the timer thread without reading the table meanwhile: SQLite's shared-cache
    # test database answers "table is locked" to a reader while another thread writes.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert flushed.wait(timeout=30), "the timer thread never flushed"
        flushed.clear()
        with rejections._lock:
            if not rejections._unlogged and rejections._flush_timer is None:
                break

    assert RejectionCount.objects.get().count == 3
