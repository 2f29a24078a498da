"""A campaign manager clicks a figure and lands on its messages, then on their export."""

import re

import pytest
from django.utils import timezone

from ..deliveries.traffic import traffic_apply
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_the_failed_card_opens_its_messages_and_offers_their_csv(
    live_server, campaign_manager, page
):
    traffic_apply(messages=300, seed=5, now=timezone.now())
    page.goto(f"{live_server.url}/dashboard/?range=7d")
    page.fill("#id_username", "meera")
    page.fill("#id_password", "campaigns-2026")
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard/?range=7d")
    failed = page.locator(".card.bad .figure a")
    figure = failed.inner_text().strip()
    assert int(figure.replace(",", "")) > 0

    failed.click()

    page.wait_for_url(re.compile(r"/admin/deliveries/message/\?.*status_group=failed"))
    export = page.locator("a.export-csv")
    assert export.text_content().strip() == f"Export these {figure} messages (CSV)"
    assert "status group: failed" in page.locator("#changelist-filter").inner_text()
    page.screenshot(path=str(ARTIFACTS / "drilldown-failed.png"), full_page=True)
    with page.expect_download() as download:
        export.click()
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 1 + int(figure.replace(",", ""))
