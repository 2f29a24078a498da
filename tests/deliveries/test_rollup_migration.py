"""Migration 0007 folds the old per-latency rollup rows into one cell with a histogram."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deliveries import rollups
from deliveries.models import DeliveryRollup

BEFORE = ("deliveries", "0006_message_pending_index")
AFTER = ("deliveries", "0007_rollup_latency_columns")
HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)

# Old rows: (campaign, channel, status, latency bucket, messages, call seconds).
OLD_ROWS = [
    (1, "sms", "delivered", 3, 5, 0),
    (1, "sms", "delivered", 7, 2, 0),
    (1, "sms", "delivered", -1, 1, 0),  # delivered without a submit time: no latency
    (1, "sms", "delivered", 35, 1, 0),  # the open-ended last bucket
    (1, "sms", "sent", -1, 4, 0),
    (2, "voice", "answered", 2, 3, 100),
    (2, "voice", "answered", 5, 1, 20),
]


_COLUMNS_AT_0007 = (
    "bucket",
    "campaign_id",
    "provider",
    "channel",
    "operator",
    "status",
    "messages",
    "call_seconds",
    *rollups.LATENCY_COLUMNS,
)


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_to_latest() -> None:
    """Every app's latest migration: going back to BEFORE also unapplied the migrations that
    depend on the later ones (other apps' included), which later tests need."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_rows_insert() -> None:
    bucket = DeliveryRollup._meta.get_field("bucket").get_db_prep_value(HOUR, connection)
    with connection.cursor() as cursor:
        for campaign, channel, status, latency, messages, seconds in OLD_ROWS:
            cursor.execute(
                "INSERT INTO deliveries_deliveryrollup (bucket, campaign_id, provider, channel, "
                "operator, status, error_code, latency_bucket, messages, call_seconds) "
                "VALUES (%s, %s, 'smstake', %s, 'JIO', %s, '', %s, %s, %s)",
                [bucket, campaign, channel, status, latency, messages, seconds],
            )


def _old_rows_read() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT campaign_id, channel, status, latency_bucket, messages, call_seconds "
            "FROM deliveries_deliveryrollup"
        )
        return sorted(cursor.fetchall())


def _cells() -> dict[tuple[Any, ...], tuple[int, int, dict[int, int]]]:
    found = {}
    # Only the columns 0007 has: later migrations add more the model already knows.
    for row in DeliveryRollup.objects.only(*_COLUMNS_AT_0007):
        counts = {i: getattr(row, c) for i, c in enumerate(rollups.LATENCY_COLUMNS)}
        key = (row.bucket, row.campaign_id, row.provider, row.channel, row.operator, row.status)
        found[key] = (row.messages, row.call_seconds, {i: n for i, n in counts.items() if n})
    return found


@pytest.mark.slow  # migrates the whole schema back and forth: `make test`, not the inner loop
@pytest.mark.django_db(transaction=True)
def test_the_migration_folds_latency_rows_into_one_cell_and_back():
    _migrate(BEFORE)
    try:
        _old_rows_insert()

        _migrate(AFTER)

        assert _cells() == {
            (HOUR, 1, "smstake", "sms", "JIO", "delivered"): (9, 0, {3: 5, 7: 2, 35: 1}),
            (HOUR, 1, "smstake", "sms", "JIO", "sent"): (4, 0, {}),
            (HOUR, 2, "smstake", "voice", "JIO", "answered"): (4, 120, {2: 3, 5: 1}),
        }
        sent = DeliveryRollup.objects.only(*_COLUMNS_AT_0007).get(status="sent")
        assert {getattr(sent, c) for c in rollups.LATENCY_COLUMNS} == {None}  # empty: NULL

        _migrate(BEFORE)

        # Back to one row per latency bucket; call seconds are kept on the row without a
        # latency (readers only ever summed them over the buckets).
        assert _old_rows_read() == sorted(
            [
                *[row for row in OLD_ROWS if row[1] != "voice"],
                (2, "voice", "answered", -1, 0, 120),
                (2, "voice", "answered", 2, 3, 0),
                (2, "voice", "answered", 5, 1, 0),
            ]
        )
    finally:
        _migrate_to_latest()
