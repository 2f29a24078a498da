"""The alert history page, acknowledging, the admin, and the rules/alerts API."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alerts.models import Alert, AlertRule
from webhooks.models import WebhookEndpoint

from ..factories import make_user

pytestmark = pytest.mark.django_db


def logged_in(role: str | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(role))
    return client


def api_as(role: str | None) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=make_user(role))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def alert() -> Alert:
    rule = AlertRule.objects.create(name="infobip Airtel", provider="infobip", operator="AIRTEL")
    now = timezone.now()
    return Alert.objects.create(
        rule=rule,
        fired_at=now,
        window_since=now - timedelta(minutes=30),
        window_until=now,
        summary="infobip Airtel: delivery rate 70.0 % over the last 30 min",
    )


def test_the_history_page_lists_alerts_with_their_dashboard_link(alert: Alert) -> None:
    response = logged_in("Campaign manager").get("/alerts/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "delivery rate 70.0 %" in html
    assert "/dashboard/?range=custom" in html and "operator=AIRTEL" in html
    assert "Acknowledge" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_the_history_page_needs_a_login_and_a_role(alert: Alert) -> None:
    assert Client().get("/alerts/").status_code == 302
    assert logged_in(None).get("/alerts/").status_code == 403


def test_acknowledging_needs_a_post_with_the_csrf_token(alert: Alert) -> None:
    client = logged_in("Campaign manager")
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 405
    assert client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 403  # no CSRF token

    client.get("/alerts/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED
    assert alert.acknowledged_by is not None
    assert (
        "Acknowledged by campaign_manager"
        in client.get("/alerts/?state=acknowledged").content.decode()
    )


def test_acknowledging_a_missing_alert_is_a_404() -> None:
    client = Client()
    client.force_login(make_user("Administrator"))
    assert client.post("/alerts/999/acknowledge/").status_code == 404


def test_a_campaign_manager_creates_a_rule_over_the_api() -> None:
    response = api_as("Campaign manager").post(
        "/api/v1/alert-rules/",
        {
            "name": "infobip Airtel",
            "provider": "infobip",
            "operator": "AIRTEL",
            "window_minutes": 30,
            "min_volume": 100,
            "threshold_points": 10,
            "webhook_url": "https://hooks.example.com/dlr",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert "webhook_secret" not in response.json()
    assert response.json()["webhook_secret_set"] is True
    rule = AlertRule.objects.get()
    assert (rule.operator, rule.webhook_secret[:6]) == ("AIRTEL", "whsec_")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "kind": "no_dlr"}, "endpoint"),
        ({"name": "x", "kind": "error_spike"}, "error_code"),
        ({"name": "x", "window_minutes": 10_000}, "window_minutes"),
        ({"name": "x", "webhook_secret": "plain"}, "webhook_secret"),
        ({"name": "x", "webhook_secret": "whsec_!!!"}, "webhook_secret"),
        ({"name": "x", "webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"name": "x", "email_recipients": "ops@example.com, not-an-address"}, "email_recipients"),
    ],
)
def test_an_invalid_rule_is_a_400_naming_the_field(body: dict[str, str], field: str) -> None:
    response = api_as("Administrator").post("/api/v1/alert-rules/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_no_dlr_rule_with_an_endpoint_is_accepted() -> None:
    endpoint = WebhookEndpoint.objects.create(provider="infobip", slug="infobip-main")
    body = {"name": "quiet", "kind": "no_dlr", "endpoint": endpoint.pk, "window_minutes": 15}

    assert (
        api_as("Administrator").post("/api/v1/alert-rules/", body, format="json").status_code == 201
    )


@pytest.mark.parametrize("role", ["Support", None])
def test_rules_and_alerts_are_not_for_other_roles(role: str | None, alert: Alert) -> None:
    client = api_as(role)
    assert client.get("/api/v1/alert-rules/").status_code == 403
    assert client.get("/api/v1/alerts/").status_code == 403


def test_alerts_are_listed_and_acknowledged_over_the_api(alert: Alert) -> None:
    client: APIClient = api_as("Campaign manager")

    listed = client.get("/api/v1/alerts/").json()["results"]
    assert [a["id"] for a in listed] == [alert.pk]
    assert listed[0]["dashboard_url"].startswith("/dashboard/?")

    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    assert client.get("/api/v1/alerts/nope/").status_code == 404


def test_the_admin_lists_rules_and_alerts(admin_client: Client, alert: Alert) -> None:
    assert admin_client.get("/admin/alerts/alertrule/").status_code == 200
    assert admin_client.get(f"/admin/alerts/alertrule/{alert.rule.pk}/change/").status_code == 200
    assert admin_client.get("/admin/alerts/alert/").status_code == 200
    assert admin_client.get(f"/admin/alerts/alert/{alert.pk}/change/").status_code == 200


def test_the_beat_schedule_evaluates_every_minute(settings) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["alerts-evaluate"]
    assert entry == {"task": "alerts.tasks.evaluate", "schedule": 60.0}


def test_campaign_managers_may_manage_rules_in_the_admin() -> None:
    user = make_user("Campaign manager", username="cm")
    assert user.has_perm("alerts.change_alertrule")
    assert user.has_perm("alerts.change_alert")
    assert not make_user("Support", username="s").has_perm("alerts.view_alertrule")


def test_the_admin_refuses_a_no_dlr_rule_without_an_endpoint(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/alerts/alertrule/add/",
        {
            "name": "quiet",
            "kind": "no_dlr",
            "active": "on",
            "window_minutes": 15,
            "baseline_days": 7,
            "min_volume": 100,
            "threshold_points": 10,
            "resolve_margin_points": 2,
            "webhook_secret": "",
        },
    )

    assert response.status_code == 200
    assert "A no-DLR rule needs an endpoint." in response.content.decode()
    assert not AlertRule.objects.exists()
