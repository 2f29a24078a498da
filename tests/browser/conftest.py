"""One browser for every browser test: Playwright driving Debian's chromium (no download).

Tests take `page` (a fresh context each, so no cookies carry over) and the `live_server`;
screenshots go to BROWSER_SCREENSHOTS_DIR (default test-artifacts/) for review, and CI keeps
that directory as an artifact.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("BROWSER_SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[2] / "test-artifacts"
)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Started once for the browser tests, stopped when they are done: Playwright's sync API
    keeps an event loop running in this thread, which makes Django refuse ORM calls unless
    told this is fine, and no other test should run with that allowance."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()
