"""Sandbox endpoints: their reports are traced and logged like live ones, and kept out of
every figure (dashboard, rollups, alerts) unless a message list asks for them."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from alerts.evaluation import rule_measure
from alerts.models import AlertRule
from deliveries.models import DeliveryRollup, Message
from deliveries.rollup_rebuild import rollups_rebuild
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker
from ..factories import make_user
from ..helpers import SMSTAKE_SECRET, fixture_bytes, smstake_sign

pytestmark = pytest.mark.django_db


def report(name: str, message_id: str) -> bytes:
    payload = json.loads(fixture_bytes("smstake", name))
    payload.update(message_id=message_id, submitted_at=timezone.now().isoformat())
    return json.dumps(payload).encode()


@pytest.fixture
def traffic(post_smstake, django_capture_on_commit_callbacks) -> None:
    """Three live deliveries on the live endpoint; five DND failures from the sandbox."""
    call_command(
        "create_endpoint",
        provider="smstake",
        slug="smstake-sandbox",
        secret=[SMSTAKE_SECRET],
        environment="sandbox",
        stdout=io.StringIO(),
    )
    for i in range(3):
        assert post_smstake(report("delivered.json", f"live-{i}")).status_code == 200
    client = Client()
    for i in range(5):
        body = report("failed.json", f"sandbox-{i}")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/webhooks/smstake-sandbox/",
                data=body,
                content_type="application/json",
                headers={"X-SMSTAKE-Signature": smstake_sign(body)},
            )
        assert response.status_code == 200
    run_worker()  # with a broker the request only kicks a worker: drain as one would


def test_sandbox_reports_are_logged_and_traced_like_live_ones(traffic):
    sandbox = WebhookEndpoint.objects.get(slug="smstake-sandbox")
    assert sandbox.environment == "sandbox"
    assert InboundEvent.objects.filter(endpoint=sandbox, auth_ok=True).count() == 5
    assert set(Message.objects.values_list("environment", flat=True)) == {"live", "sandbox"}
    support = Client()
    support.force_login(make_user("Support"))

    # One match: the search opens its trace page.
    page = support.get("/trace/", {"q": "sandbox-2"}, follow=True).content.decode()

    assert "sandbox-2" in page
    listing = support.get("/admin/deliveries/message/", {"environment": "sandbox"})
    assert listing.context["cl"].result_count == 5


def test_sandbox_traffic_is_in_no_figure(traffic):
    manager = Client()
    manager.force_login(make_user("Campaign manager"))

    totals = manager.get("/dashboard/", {"range": "24h"}).context["totals"]

    assert (totals.sent, totals.delivered, totals.failed) == (3, 3, 0)
    assert DeliveryRollup.objects.aggregate(n=Sum("messages"))["n"] == 3
    rollups_rebuild()
    assert DeliveryRollup.objects.aggregate(n=Sum("messages"))["n"] == 3


def test_sandbox_failures_do_not_move_an_alert(traffic):
    rule = AlertRule.objects.create(
        name="SMSTAKE DND",
        kind=AlertRule.Kind.ERROR_SPIKE,
        provider="smstake",
        error_code="DND",
        window_minutes=30,
        min_volume=1,
        threshold_points=10.0,
        email_recipients="",
        webhook_url="",
    )

    measured = rule_measure(rule, now=timezone.now())

    assert measured.volume == 3  # the live deliveries only


def test_the_endpoint_list_shows_each_environment_and_its_last_report(traffic):
    admin = Client()
    admin.force_login(make_user("Administrator"))

    page = admin.get("/admin/webhooks/webhookendpoint/").content.decode()

    assert page.count(">Sandbox</strong>") == 1 and page.count(">Live</strong>") == 1
    assert "never" not in page  # both have a last DLR


def test_the_api_sets_an_endpoints_environment_and_lists_sandbox_messages(traffic):
    admin = Client()
    admin.force_login(make_user("Administrator"))

    created = admin.post(
        "/api/v1/endpoints/",
        {
            "provider": "wavix",
            "slug": "wavix-sandbox",
            "environment": "sandbox",
            "new_secret": "wavix-sandbox-secret-0123",
        },
        content_type="application/json",
    )
    listed = admin.get("/api/v1/messages/", {"environment": "sandbox"}).json()["results"]

    assert created.status_code == 201, created.content
    assert created.json()["environment"] == "sandbox"
    assert sorted(m["message_id"] for m in listed) == [f"sandbox-{i}" for i in range(5)]
    assert {m["environment"] for m in listed} == {"sandbox"}
