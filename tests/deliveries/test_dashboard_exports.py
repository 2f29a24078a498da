"""The CSV exports: breakdowns with the dashboard's figures, messages with masked numbers,
streamed in bounded memory."""

import csv
import io
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone

from deliveries.models import Message

from ..factories import make_user

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_breakdown_csv_has_one_row_per_group_with_the_dashboard_figures(manager_client, traffic):
    rows = csv_rows(manager_client.get("/dashboard/export/operator.csv", {"range": "7d"}))

    header, *groups = rows
    assert header[:5] == ["operator", "label", "sent", "delivered", "failed_total"]
    sent = {row[0]: int(row[2]) for row in groups}
    assert sent["JIO"] == Message.objects.filter(operator="JIO").count()
    assert sum(sent.values()) == Message.objects.count()


def test_an_unknown_breakdown_is_404(manager_client):
    assert manager_client.get("/dashboard/export/colour.csv").status_code == 404


def test_message_csv_masks_phone_numbers_without_the_permission(client, traffic):
    client.force_login(make_user("Campaign manager"))

    header, *rows = csv_rows(client.get("/dashboard/export/messages.csv", {"channel": "sms"}))

    assert len(rows) == Message.objects.filter(channel="sms").count()
    to = header.index("to")
    assert all("••••" in row[to] for row in rows if row[to])


def test_message_csv_shows_full_numbers_with_the_permission(client, traffic):
    client.force_login(make_user("Campaign manager", perms=("deliveries.view_full_phone",)))

    header, *rows = csv_rows(client.get("/dashboard/export/messages.csv", {"operator": "jio"}))

    to = header.index("to")
    # Quoted like every cell starting with "+" (deliveries/csv_export.py): text, not a formula.
    assert {row[to] for row in rows} == {
        "'" + number
        for number in Message.objects.filter(operator__iexact="jio").values_list("to", flat=True)
    }


def test_message_csv_with_a_bad_filter_is_400(manager_client):
    response = manager_client.get("/dashboard/export/messages.csv", {"created_after": "soon"})

    assert response.status_code == 400


def messages_insert_select(count: int) -> None:
    """`count` SMS messages in one INSERT … SELECT (bulk_create takes a minute for 100k)."""
    now = timezone.now()
    values = {
        "provider": "'smstake'",
        "message_id": "'big-' || n",
        "channel": "'sms'",
        "to_raw": "'9198' || (10000000 + n)",
        "to": "'+9198' || (10000000 + n)",
        "status": "'delivered'",
        "operator": "'JIO'",
        "client_ref": "'big_' || n",
    }
    columns, expressions, params = [], [], []
    for field in Message._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in values:
            expressions.append(values[field.name])
        elif field.name in ("created_at", "updated_at", "submitted_at", "delivered_at"):
            expressions.append("%s")
            params.append(field.get_db_prep_value(now, connection))
        elif field.null:
            expressions.append("NULL")
        else:  # the field's own default, whatever its type (text, flag, number)
            expressions.append("%s")
            params.append(field.get_db_prep_value(field.get_default(), connection))
    with connection.cursor() as cursor:
        # Column names and expressions are the test's own, not input.
        sql = (
            f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
            f"SELECT {', '.join(expressions)} FROM seq"
        )
        cursor.execute(sql, [count, *params])


@pytest.mark.slow
def test_message_csv_of_100k_messages_streams_in_bounded_memory(manager_client):
    messages_insert_select(100_000)
    # Warm up: the first request imports templates and filters, which tracemalloc would count.
    manager_client.get("/dashboard/export/messages.csv", {"operator": "none"})
    tracemalloc.start()
    try:
        response = manager_client.get("/dashboard/export/messages.csv")
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert lines == 100_001
    # The file is ~16 MB; holding it, or the rows as Python objects, would exceed this.
    assert size > 12 * 1024 * 1024
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
