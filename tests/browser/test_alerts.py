"""A campaign manager acknowledges an alert and follows it to the dashboard, in a browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule
from deliveries.rollup_rebuild import rollups_rebuild

from ..alerts.conftest import messages_make
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_a_campaign_manager_acknowledges_an_alert_and_opens_its_dashboard(
    live_server, campaign_manager, page
) -> None:
    now = timezone.now()
    messages_make(100, at=now - timedelta(minutes=10), delivered_share=0.7)
    messages_make(100, at=now - timedelta(minutes=10), delivered_share=0.95, operator="JIO")
    rollups_rebuild()
    rule = AlertRule.objects.create(name="infobip Airtel", provider="infobip", operator="AIRTEL")
    Alert.objects.create(
        rule=rule,
        fired_at=now,
        window_since=now - timedelta(minutes=30),
        window_until=now,
        summary="infobip Airtel: delivery rate 70.0 % over the last 30 min",
    )
    page.goto(f"{live_server.url}/alerts/")
    page.fill("#id_username", "meera")
    page.fill("#id_password", "campaigns-2026")
    page.click("input[type=submit]")
    page.wait_for_url("**/alerts/")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("td.state:has-text('Acknowledged by meera')")
    page.screenshot(path=str(ARTIFACTS / "alerts-history.png"), full_page=True)

    page.click("a:has-text('Dashboard') >> nth=-1")
    page.wait_for_url("**/dashboard/?range=custom*")
    assert page.locator("#id_provider").input_value() == "infobip"
    assert page.locator("#id_operator").input_value() == "AIRTEL"
