"""On demo traffic: `/costs/` shows spend by campaign and provider with the cost per
delivered message and the spend on undelivered messages, and a bill made from the demo with
a few rows altered is reconciled to exactly those rows."""

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pytest_django import DjangoDbBlocker

from billing.demo import demo_rates_ensure
from billing.demo_export import export_write
from billing.imports import bill_import
from billing.reconciliation import reconciliation_rows
from deliveries.models import Message

from ..deliveries.traffic import traffic_apply
from ..factories import make_user
from ..helpers import module_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Made once, every test of the module reads it."""
    with module_rows(django_db_blocker):
        demo_rates_ensure(now=NOW)
        traffic_apply(messages=400, seed=42, now=NOW, infobip_share=0.5, spread_hours=48)
        yield


def test_demo_traffic_is_priced_as_the_demo_promises(demo):
    sources = set(Message.objects.values_list("provider", "cost_source", "cost_currency"))

    assert ("infobip", "reported", "EUR") in sources
    assert ("smstake", "rate_card", "INR") in sources
    assert not Message.objects.filter(cost_source="unknown").exists()


def test_the_costs_page_shows_spend_by_campaign_and_provider(client, demo):
    client.force_login(make_user("Campaign manager"))

    page = client.get(
        "/costs/", {"range": "custom", "since": "2026-11-18T00:00", "until": "2026-11-21T00:00"}
    ).content.decode()

    assert "Spend by campaign" in page and "Spend by provider" in page
    assert "OTP login" in page and "infobip" in page
    assert "Per delivered" in page and "Never delivered" in page


def test_a_bill_made_from_the_demo_reconciles_to_exactly_its_altered_rows(demo):
    out = io.StringIO()
    altered = export_write(out, provider="infobip", month=NOW, file_format="generic")

    record, _ = bill_import(
        provider="infobip", file_format="generic", stream=io.BytesIO(out.getvalue().encode())
    )

    assert record.state == "complete" and record.rows_skipped == 0
    for name, ids in altered.items():
        listed = [
            r.message_id for r in reconciliation_rows(provider="infobip", month=NOW, name=name)
        ]
        assert listed == ids, name
    assert sum(len(ids) for ids in altered.values()) >= 3
