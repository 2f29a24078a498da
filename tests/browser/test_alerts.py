"""A campaign manager acknowledges an alert and follows it to the dashboard, in a browser."""

import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from alerts.models import Alert, AlertRule
from deliveries.rollups import rollups_rebuild

from ..helpers import ARTIFACTS, CHROMIUM, browser_test
from .conftest import messages_make

pytestmark = browser_test
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
sync_api = pytest.importorskip("playwright.sync_api")


def test_a_campaign_manager_acknowledges_an_alert_and_opens_its_dashboard(
    live_server, transactional_db
) -> None:
    user = User.objects.create_user("meera", password="campaigns-2026", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Campaign manager")[0])
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
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        try:
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
        finally:
            browser.close()
