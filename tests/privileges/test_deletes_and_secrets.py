"""Endpoints with pending reports are deactivated, not deleted; alert rule signing secrets
are write-only."""

from datetime import UTC, datetime

import pytest

from alerts.models import AlertRule
from webhooks.models import InboundEvent, WebhookEndpoint

from ..helpers import WAVIX_SECRET
from .people import admin_as, api_as, person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
WHSEC = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3"


@pytest.fixture
def busy_endpoint() -> WebhookEndpoint:
    """An endpoint with a report acknowledged to the provider but not yet applied."""
    endpoint = WebhookEndpoint.objects.create(
        provider="wavix", slug="wavix", secrets=[WAVIX_SECRET]
    )
    InboundEvent.objects.create(
        endpoint=endpoint,
        received_at=NOW,
        method="POST",
        body=b'{"message_id": "x", "status": "delivered"}',
        auth_ok=True,
        response_code=200,
        state=InboundEvent.State.PENDING,
    )
    return endpoint


def test_deleting_an_endpoint_with_pending_reports_over_the_api_is_a_409(busy_endpoint):
    client = api_as(person("Administrator"))

    response = client.delete(f"/api/v1/endpoints/{busy_endpoint.pk}/")

    assert response.status_code == 409
    assert "deactivate" in response.json()["detail"].lower()
    assert InboundEvent.objects.filter(endpoint=busy_endpoint).count() == 1


@pytest.mark.parametrize("via", ["delete view", "delete action"])
def test_the_admin_refuses_to_delete_an_endpoint_with_pending_reports(busy_endpoint, via):
    # A superuser: an Administrator may not delete the log at all (no delete_inboundevent).
    client = admin_as(person("superuser"))

    if via == "delete view":
        url = f"/admin/webhooks/webhookendpoint/{busy_endpoint.pk}/delete/"
        page = client.get(url).content.decode()
        client.post(url, {"post": "yes"})
    else:
        page = client.post(
            "/admin/webhooks/webhookendpoint/",
            {"action": "delete_selected", "_selected_action": [busy_endpoint.pk], "post": "yes"},
        ).content.decode()

    assert WebhookEndpoint.objects.filter(pk=busy_endpoint.pk).exists()
    assert "pending" in page
    assert "deactivate" in page.lower()


def test_an_endpoint_with_pending_reports_may_be_deactivated_then_deleted_once_drained(
    busy_endpoint,
):
    client = api_as(person("Administrator"))

    deactivated = client.patch(
        f"/api/v1/endpoints/{busy_endpoint.pk}/", {"active": False}, format="json"
    )
    InboundEvent.objects.update(state=InboundEvent.State.DONE)
    deleted = client.delete(f"/api/v1/endpoints/{busy_endpoint.pk}/")

    assert (deactivated.status_code, deleted.status_code) == (200, 204)


def test_the_admin_still_deletes_an_endpoint_whose_reports_are_applied(busy_endpoint):
    InboundEvent.objects.update(state=InboundEvent.State.DONE)
    client = admin_as(person("superuser"))

    response = client.post(
        f"/admin/webhooks/webhookendpoint/{busy_endpoint.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not InboundEvent.objects.exists()


def test_an_alert_rules_signing_secret_is_never_returned_by_the_api():
    client = api_as(person("Campaign manager"))

    created = client.post(
        "/api/v1/alert-rules/",
        {"name": "Airtel", "webhook_url": "https://hooks.example.com/x", "webhook_secret": WHSEC},
        format="json",
    )
    rule = AlertRule.objects.get()
    listed = client.get("/api/v1/alert-rules/")
    one = client.get(f"/api/v1/alert-rules/{rule.pk}/")
    generated = AlertRule.objects.create(name="generated")
    listed_again = client.get("/api/v1/alert-rules/")

    assert created.status_code == 201
    assert rule.webhook_secret == WHSEC
    for response in (created, listed, one, listed_again):
        text = response.content.decode()
        assert WHSEC not in text
        assert generated.webhook_secret not in text
        assert "whsec_" not in text
    assert one.json()["webhook_secret_set"] is True


def test_an_alert_rules_secret_can_still_be_replaced_over_the_api():
    rule = AlertRule.objects.create(name="Airtel")
    client = api_as(person("Administrator"))

    response = client.patch(
        f"/api/v1/alert-rules/{rule.pk}/", {"webhook_secret": WHSEC}, format="json"
    )

    assert response.status_code == 200
    assert WHSEC not in response.content.decode()
    rule.refresh_from_db()
    assert rule.webhook_secret == WHSEC
