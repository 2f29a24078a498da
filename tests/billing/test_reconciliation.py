"""A month of Plivo traffic, its bill with 0.3 % of the rows altered: the reconciliation
lists exactly those rows, and the totals agree to the cent once they are accounted for."""

import io
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pytest_django import DjangoDbBlocker

from billing.demo_export import export_write
from billing.imports import bill_import
from billing.models import BilledMessage
from billing.reconciliation import reconciliation_report, reconciliation_rows
from deliveries.models import Message
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..helpers import module_rows
from .rates import rate_add

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 1, tzinfo=UTC)
MESSAGES = 3000


@pytest.fixture(scope="module")
def month_of_traffic(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Plivo messages over November, each with the price Plivo reported; 2 % rejected
    before sending (priced by the rate card: Plivo reports no amount for them). Made once
    for the module's tests."""
    with module_rows(django_db_blocker):
        _month_apply()
        yield


def _month_apply() -> None:
    rate_add(provider="plivo", price="0.0030", currency="USD")
    rng = random.Random(3)
    reports = []
    for i in range(MESSAGES):
        at = NOV + timedelta(minutes=rng.randrange(29 * 24 * 60))
        segments = rng.choice([1, 1, 1, 2, 3])
        price: dict[str, Any] = {}
        if rng.random() < 0.02:
            status = Status.REJECTED
        else:
            status = rng.choice([Status.DELIVERED] * 8 + [Status.UNDELIVERED, Status.SENT])
            rate = Decimal(rng.choice(["0.0032", "0.0035", "0.00475"]))
            price = {"price": rate * segments, "currency": "USD"}
        reports.append(
            DeliveryReport(
                provider="plivo",
                message_id=f"4f0c{i:08d}-0000-4000-8000-000000000000",
                status=status,
                provider_status=status.value,
                to="+919876543210",
                segments=segments,
                submitted_at=at,
                event_time=at + timedelta(seconds=4),
                **price,
            )
        )
    for start in range(0, len(reports), 500):
        reports_apply(items=[(r, None) for r in reports[start : start + 500]])


def test_the_reconciliation_lists_exactly_the_altered_rows_and_the_totals_agree(
    month_of_traffic: None,
):
    out = io.StringIO()
    altered = export_write(out, provider="plivo", month=NOV, fraction=0.003)
    data = out.getvalue().encode()
    assert sum(len(ids) for ids in altered.values()) == round(MESSAGES * 0.98 * 0.003)

    record, imported = bill_import(
        provider="plivo", file_format="plivo", stream=io.BytesIO(data), file_name="mdr.csv"
    )

    assert imported and record.state == "complete" and record.rows_skipped == 0
    for name, ids in altered.items():
        listed = [r.message_id for r in reconciliation_rows(provider="plivo", month=NOV, name=name)]
        assert listed == ids, name
    report = reconciliation_report(provider="plivo", month=NOV)
    assert report.counts == {name: len(ids) for name, ids in altered.items()}
    # Every cent of the difference is explained by the listed rows.
    billed = {m.message_id: m.amount for m in BilledMessage.objects.all()}
    ours: dict[str, Decimal] = {
        m: cost or Decimal(0) for m, cost in Message.objects.values_list("message_id", "cost")
    }
    explained = (
        sum((billed[m] - ours[m] for m in altered["amount_differs"]), Decimal(0))
        + sum(
            (billed[m] for m in altered["billed_not_seen"] + altered["billed_rejected"]), Decimal(0)
        )
        - sum((ours[m] for m in altered["seen_not_billed"]), Decimal(0))
    )
    ((currency, theirs, our_total, gap),) = report.currencies
    assert currency == "USD"
    assert gap == explained
    assert theirs == sum(billed.values(), Decimal(0))
    rejected = set(Message.objects.filter(status="rejected").values_list("message_id", flat=True))
    assert our_total == sum((c for m, c in ours.items() if m not in rejected), Decimal(0))


def test_importing_the_same_file_again_changes_nothing(month_of_traffic: None):
    out = io.StringIO()
    export_write(out, provider="plivo", month=NOV)
    data = out.getvalue().encode()
    first, _ = bill_import(provider="plivo", file_format="plivo", stream=io.BytesIO(data))
    rows = list(BilledMessage.objects.order_by("id").values_list("message_id", "amount"))

    again, imported = bill_import(provider="plivo", file_format="plivo", stream=io.BytesIO(data))

    assert (again.pk, imported) == (first.pk, False)
    assert list(BilledMessage.objects.order_by("id").values_list("message_id", "amount")) == rows
