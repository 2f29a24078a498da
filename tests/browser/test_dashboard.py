"""A campaign manager uses the dashboard in a real browser (Playwright + Debian chromium)."""

import re

import pytest
from django.utils import timezone

from ..deliveries.traffic import traffic_apply
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_a_campaign_manager_changes_the_range_and_sees_the_chart(
    live_server, campaign_manager, page
):
    traffic_apply(messages=400, seed=3, now=timezone.now())
    page.goto(f"{live_server.url}/dashboard/")
    page.fill("#id_username", "meera")
    page.fill("#id_password", "campaigns-2026")
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert page.locator(".card .figure").first.inner_text().strip() != "0"

    page.click("label.preset:has-text('7 days')")
    page.wait_for_url("**/dashboard/?range=7d*")
    page.wait_for_selector(".chart-box.drawn")
    drawn = page.evaluate("() => Chart.getChart('series-chart').data.datasets.length")
    assert drawn == 3
    assert page.locator("label.preset.active").inner_text().strip() == "7 days"
    box = page.locator("#series-chart").bounding_box()
    assert box is not None and box["height"] > 200
    page.screenshot(path=str(ARTIFACTS / "dashboard-7d.png"), full_page=True)

    page.locator("#by-campaign tbody td:first-child a").first.click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/"))
    page.wait_for_selector(".chart-box.drawn")
    assert page.locator(".crumbs").inner_text().startswith("Campaigns")
    page.screenshot(path=str(ARTIFACTS / "campaign.png"), full_page=True)
    page.goto(f"{live_server.url}/campaigns/")
    page.screenshot(path=str(ARTIFACTS / "campaigns.png"), full_page=True)
