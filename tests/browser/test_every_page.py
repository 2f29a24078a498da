"""Each role, on a 390 px phone and a 1440 px desk, opens every page its top bar offers: the
page is no wider than the screen (wide tables scroll inside their card), the console stays
clean, and every link it shows answers 200 for that role. Screenshots of each page at both
widths go to BROWSER_SCREENSHOTS_DIR for review."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from deliveries.models import Campaign, Message

from ..deliveries.traffic import traffic_apply
from ..factories import make_user
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "every-page-2026"
WIDTHS = (390, 1440)
# Elements past the right edge of the screen, except inside a box that scrolls sideways.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth, found = [];
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1) && !scrolls(el))
      found.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}px`);
  }
  return found;
}"""
VISIBLE_LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter((a) => a.offsetParent !== null)
  .map((a) => a.href)"""


def _pages(role: str) -> list[str]:
    """The role's pages: its top bar's, plus the ones a click away (a campaign, a message)."""
    pages = ["/profile/"]
    if role in ("Campaign manager", "Administrator"):
        campaign = Campaign.objects.order_by("pk").first()
        assert campaign is not None
        pages += ["/dashboard/", "/dashboard/?range=today", "/campaigns/"]
        pages += [f"/campaigns/{campaign.pk}/", "/compare/", "/dlt/", "/alerts/"]
    if role in ("Support", "Administrator"):
        message = Message.objects.filter(client_ref__startswith="otp_").order_by("pk").first()
        assert message is not None
        pages += ["/trace/", f"/trace/?q={message.client_ref}", f"/trace/message/{message.pk}/"]
    return pages


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def _visit(browser: Any, base: str, role: str, width: int, checked: dict[str, int]) -> None:
    """Every page of `role` at `width`; adds each visible link's answer to `checked`."""
    username = role.lower().replace(" ", "_")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, base, username)
    # `/` took the role to its home.
    assert urlsplit(page.url).path == ("/trace/" if role == "Support" else "/dashboard/")
    for path in _pages(role):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        name = f"{username}-{width}-{path.strip('/').replace('/', '_').replace('?', '_')}"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{path} at {width} px is {scroll_width} px wide"
        assert page.evaluate(OVERFLOWING) == [], f"{path} at {width} px"
        for href in page.evaluate(VISIBLE_LINKS):
            if urlsplit(href).netloc != urlsplit(base).netloc or href in checked:
                continue
            answer = context.request.get(href)  # `/` redirects to the role's home
            checked[href] = 401 if "/admin/login/" in answer.url else answer.status
    if role == "Administrator" and width == 1440:
        # The admin's message list: its key columns without scrolling sideways.
        page.goto(f"{base}/admin/deliveries/message/")
        results = "(() => { const r = document.querySelector('.results');"
        results += " return r.scrollWidth - r.clientWidth; })()"
        assert page.evaluate(results) <= 1
        page.screenshot(path=str(ARTIFACTS / f"{username}-{width}-admin-messages.png"))
    assert errors == [], f"console errors at {width} px: {errors}"
    context.close()


@pytest.mark.parametrize("role", ["Support", "Campaign manager", "Administrator"])
def test_every_page_of_a_role_fits_a_phone_and_a_desk_and_its_links_open(
    live_server, browser, role
):
    traffic_apply(messages=300, seed=17, now=timezone.now(), infobip_share=0.3)
    make_user(role, username=role.lower().replace(" ", "_"), password=PASSWORD)
    checked: dict[str, int] = {}
    for width in WIDTHS:
        _visit(browser, live_server.url, role, width, checked)

    refused = {href: status for href, status in checked.items() if status != 200}
    assert refused == {}, f"links that do not open for {role}"
