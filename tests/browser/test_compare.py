"""A campaign manager compares providers on Airtel SMS while one of them degrades."""

import pytest
from django.utils import timezone

from webhooks.simulation import Degradation

from ..deliveries.traffic import traffic_apply
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_the_comparison_page_shows_one_provider_collapsing_on_airtel(
    live_server, campaign_manager, page
):
    traffic_apply(
        messages=1200,
        seed=4,
        now=timezone.now(),
        spread_hours=24,
        wavix_share=0.1,
        infobip_share=0.5,
        degrade=Degradation.parse("infobip:AIRTEL:300:0.5"),
    )
    errors: list[str] = []
    # Any of the page's own scripts or styles missing (the browser's favicon request aside).
    page.on(
        "response",
        lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.goto(f"{live_server.url}/compare/")
    page.fill("#id_username", "meera")
    page.fill("#id_password", "campaigns-2026")
    page.click("input[type=submit]")
    page.wait_for_url("**/compare/")

    page.select_option("#id_operator", "AIRTEL")
    page.select_option("#id_channel", "sms")
    page.click("form.slice button[type=submit]")
    page.wait_for_url("**/compare/?*operator=AIRTEL*")
    page.wait_for_selector(".chart-box.drawn")

    providers = page.evaluate(
        "() => Chart.getChart('compare-chart').data.datasets.map(d => d.label)"
    )
    assert {"smstake", "infobip"} <= set(providers)
    # The three full hours before this one (the current hour is still young):
    # infobip's Airtel rate sits well below smstake's.
    last = page.evaluate(
        """() => Object.fromEntries(Chart.getChart('compare-chart').data.datasets
             .map(d => [d.label, d.data.slice(-4, -1).filter(v => v !== null)]))"""
    )
    mean = {name: sum(rates) / len(rates) for name, rates in last.items() if rates}
    assert mean["infobip"] < mean["smstake"] - 15
    headers = page.locator("table.compare thead th a").all_inner_texts()
    assert "infobip" in headers and "smstake" in headers
    assert page.locator("#slo td.slo").count() >= 2
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "compare-airtel-sms.png"), full_page=True)

    page.goto(f"{live_server.url}/compare/?range=7d")
    page.wait_for_selector(".chart-box.drawn")
    operators = page.locator("#slo thead th").all_inner_texts()
    assert {"AIRTEL", "JIO"} <= set(operators)
    page.screenshot(path=str(ARTIFACTS / "compare-all-7d.png"), full_page=True)

    page.goto(f"{live_server.url}/dlt/")
    assert page.locator(".cause-cards .card").count() == 5
    page.screenshot(path=str(ARTIFACTS / "dlt.png"), full_page=True)
