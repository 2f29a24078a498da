"""Every number on the pages opens the messages behind it, and those export with the same
count: reports posted through the receiving view, figures read from the rollups, the list
and the CSV from `Message`."""

import csv
import html
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from deliveries.models import Campaign

from ..factories import make_user

pytestmark = pytest.mark.django_db

DRILL = re.compile(r'href="(/admin/deliveries/message/\?[^"]+)"[^>]*>(.*?)</a>', re.S)
STATUSES = ("delivered", "failed", "undelivered", "sent", "rejected", "delivered", "expired")
OPERATORS = ("JIO", "AIRTEL", "Vi", "")  # "" lands in the "(unknown)" row
ERRORS = {"failed": "DND", "undelivered": "ABSENT", "rejected": "DLT_TEMPLATE", "expired": ""}


def smstake_report(i: int, *, status: str, operator: str, submitted: datetime) -> bytes:
    delivered = submitted + timedelta(seconds=2 + i % 9)
    return json.dumps(
        {
            "event": "message.dlr",
            "message_id": f"drill_{i}",
            "channel": "whatsapp" if i % 5 == 0 else "sms",
            "to": f"+9198765{i:05d}",
            "from": "SMSTKE",
            "status": status,
            "status_code": status.upper(),
            "operator": operator,
            "submitted_at": submitted.isoformat(),
            "delivered_at": delivered.isoformat() if status == "delivered" else None,
            "client_ref": f"{'promo_' if i % 3 else 'otp_'}{i}",
            "error_code": ERRORS.get(status, ""),
            "error_message": "",
            "timestamp": (submitted + timedelta(seconds=1)).isoformat(),
        }
    ).encode()


@pytest.fixture
def reports(post_smstake) -> None:
    """Sixty messages submitted over the last 30 hours: some outside the 24-hour range."""
    Campaign.objects.create(name="Promo", ref_prefix="promo_")
    now = timezone.now()
    for i in range(60):
        body = smstake_report(
            i,
            status=STATUSES[i % len(STATUSES)],
            operator=OPERATORS[i % len(OPERATORS)],
            submitted=now - timedelta(minutes=30 * i + 7),
        )
        assert post_smstake(body).status_code == 200


@pytest.fixture
def manager() -> Client:
    client = Client()
    client.force_login(make_user("Campaign manager"))
    return client


def drilldowns(page: str) -> list[tuple[str, int]]:
    """Each drill-down link on a page whose text is a count, with that count."""
    found = []
    for href, text in DRILL.findall(page):
        figure = re.sub(r"<[^>]+>", " ", text).split()[-1]
        if re.fullmatch(r"[\d,]+", figure):
            found.append((html.unescape(href), int(figure.replace(",", ""))))
    return found


def one_of_each_kind(links: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The first link of each kind (the same filters with other values): the inner loop's
    sample of a page's links; `make test` follows every one."""
    kinds: dict[tuple[str, ...], tuple[str, int]] = {}
    for href, figure in links:
        kinds.setdefault(tuple(sorted(parse_qs(urlsplit(href).query))), (href, figure))
    return list(kinds.values())


def every(links: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return links


FOLLOWED = [one_of_each_kind, pytest.param(every, marks=pytest.mark.slow)]


def listed_and_exported(client: Client, href: str) -> tuple[int, int]:
    """The admin list's count for a drill-down link, and the rows of its CSV export."""
    listing = client.get(href)
    assert listing.status_code == 200, href
    count = listing.context["cl"].result_count
    export = re.search(r'href="([^"]+export\.csv[^"]*)"', listing.content.decode())
    assert export is not None, "the list offers its CSV export"
    response: Any = client.get(html.unescape(export.group(1)))
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    _, *rows = list(csv.reader(io.StringIO(content)))
    return count, len(rows)


def test_the_error_code_failed_card_and_operator_row_open_lists_and_csvs_of_their_count(
    reports, manager
):
    response = manager.get("/dashboard/", {"range": "24h"})
    page = response.content.decode()
    context = response.context

    dnd = next(e for e in context["errors"] if e.code == "DND")
    error_link = next(h for h, n in drilldowns(page) if "error_code=DND" in h)
    assert listed_and_exported(manager, error_link) == (dnd.messages, dnd.messages)

    failed = context["totals"].failed
    failed_link = next(h for h, n in drilldowns(page) if h.endswith("status_group=failed"))
    assert "operator=" not in failed_link and "error_code" not in failed_link
    assert 0 < failed < context["totals"].sent
    assert listed_and_exported(manager, failed_link) == (failed, failed)

    jio = next(g for name, _, groups in context["breakdowns"] for g in groups if g.key == "JIO")
    jio_link = next(h for h, n in drilldowns(page) if "operator=JIO" in h and "status" not in h)
    assert listed_and_exported(manager, jio_link) == (jio.figures.sent, jio.figures.sent)

    unknown = next(g for name, _, groups in context["breakdowns"] for g in groups if g.key == "")
    unknown_link = next(
        h for h, n in drilldowns(page) if "has_operator=false" in h and "status" not in h
    )
    sent = unknown.figures.sent
    assert listed_and_exported(manager, unknown_link) == (sent, sent)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/dashboard/", {"range": "24h"}),
        ("/dashboard/", {"range": "7d", "channel": "sms"}),
        ("/campaigns/", {"range": "24h"}),
        ("/compare/", {"range": "24h"}),
    ],
)
@pytest.mark.parametrize("followed", FOLLOWED)
def test_every_count_on_a_page_equals_its_list_and_its_export(
    reports, manager, path, params, followed
):
    page = manager.get(path, params).content.decode()

    links = drilldowns(page)
    assert len(links) >= 2
    for href, figure in followed(links):
        assert listed_and_exported(manager, href) == (figure, figure), href


@pytest.mark.parametrize("followed", FOLLOWED)
def test_a_campaign_page_and_its_series_rows_link_to_their_messages(reports, manager, followed):
    promo = Campaign.objects.get(ref_prefix="promo_")
    page = manager.get(f"/campaigns/{promo.pk}/", {"range": "24h"}).content.decode()

    links = drilldowns(page)
    assert all(f"campaign={promo.pk}" in href for href, _ in links)
    # The hours of the chart's table, each its own range.
    hourly = [(h, n) for h, n in links if "submitted_after" in h and n and "status" not in h]
    assert len(hourly) > 10
    for href, figure in followed(links):
        assert listed_and_exported(manager, href) == (figure, figure), href


def test_support_sees_the_list_but_not_the_bulk_export(reports):
    client = Client()
    client.force_login(make_user("Support"))

    listing = client.get("/admin/deliveries/message/", {"status_group": "failed"})

    assert listing.status_code == 200
    assert "export.csv" not in listing.content.decode()
    assert client.get("/admin/deliveries/message/export.csv").status_code == 403


def test_a_bad_drilldown_value_is_not_a_server_error(manager):
    for params in ({"submitted_after": "yesterday"}, {"status_group": "lost"}, {"campaign": "-1"}):
        response = manager.get("/admin/deliveries/message/", params)
        assert response.status_code in (200, 302), params
        assert manager.get("/admin/deliveries/message/export.csv", params).status_code == 400
