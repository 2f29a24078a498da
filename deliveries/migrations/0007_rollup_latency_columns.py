"""Latency leaves the rollup key: each cell keeps its histogram in 36 columns instead.

A cell used to be split per latency bucket (`latency_bucket`, -1 for messages without a
latency). The fold sums every key's rows into one, putting the messages of the row with
bucket i into `lat_i`; messages and call seconds are summed. It runs inside the migration's
transaction, after the old unique constraint is gone and before the new one exists, with the
table locked (adding the columns already locks it on PostgreSQL): stop the workers that
apply reports while migrating, their old code writes `latency_bucket`.

The columns are frozen here (36, `lat_00` … `lat_35`), not read from
`deliveries.latency`: a migration describes the schema as it was at this point.
"""

from typing import Any

from django.db import migrations, models

BUCKETS = 36
COLUMNS = [f"lat_{i:02d}" for i in range(BUCKETS)]
KEY = "bucket, campaign_id, provider, channel, operator, status, error_code"
TABLE = "deliveries_deliveryrollup"


def _execute(schema_editor: Any, *statements: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def fold_latency_rows(apps: Any, schema_editor: Any) -> None:
    """One row per cell key, the former latency rows summed into the histogram columns."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    # An empty bucket is NULL (no ELSE; NULLIF for rows left at 0 messages).
    histogram = ", ".join(
        f"NULLIF(SUM(CASE WHEN latency_bucket = {i} THEN messages END), 0) AS {column}"
        for i, column in enumerate(COLUMNS)
    )
    lat = ", ".join(COLUMNS)
    _execute(
        schema_editor,
        *([f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE"] if postgresql else []),
        f"CREATE TEMPORARY TABLE rollup_fold AS SELECT {KEY}, SUM(messages) AS messages, "
        f"SUM(call_seconds) AS call_seconds, {histogram} FROM {TABLE} GROUP BY {KEY}",
        # TRUNCATE leaves no dead rows behind on PostgreSQL; SQLite has only DELETE.
        f"TRUNCATE {TABLE}" if postgresql else f"DELETE FROM {TABLE}",
        # latency_bucket is still there (dropped next) and has no database default.
        f"INSERT INTO {TABLE} ({KEY}, latency_bucket, messages, call_seconds, {lat}) "
        f"SELECT {KEY}, -1, messages, call_seconds, {lat} FROM rollup_fold",
        "DROP TABLE rollup_fold",
    )


def unfold_latency_rows(apps: Any, schema_editor: Any) -> None:
    """Back to one row per latency bucket (the rows carry latency_bucket = -1 by now).

    Call seconds stay on the row without a latency: readers only ever summed them over
    latency buckets, so every figure is unchanged (`rebuild_rollups` splits them exactly).
    """
    inserts = [
        f"INSERT INTO {TABLE} ({KEY}, latency_bucket, messages, call_seconds) "
        f"SELECT {KEY}, {i}, {column}, 0 FROM {TABLE} "
        f"WHERE latency_bucket = -1 AND {column} <> 0"
        for i, column in enumerate(COLUMNS)
    ]
    total = " + ".join(f"COALESCE({column}, 0)" for column in COLUMNS)
    _execute(
        schema_editor,
        *inserts,
        f"UPDATE {TABLE} SET messages = messages - ({total}) WHERE latency_bucket = -1",
        f"DELETE FROM {TABLE} WHERE latency_bucket = -1 AND messages = 0 AND call_seconds = 0",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0006_message_pending_index"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="deliveryrollup", name="rollup_cell"),
        *(
            migrations.AddField(
                model_name="deliveryrollup",
                name=column,
                field=models.BigIntegerField(null=True),
            )
            for column in COLUMNS
        ),
        migrations.RunPython(fold_latency_rows, unfold_latency_rows),
        migrations.RemoveField(model_name="deliveryrollup", name="latency_bucket"),
        migrations.AddConstraint(
            model_name="deliveryrollup",
            constraint=models.UniqueConstraint(
                fields=(
                    "bucket",
                    "campaign_id",
                    "provider",
                    "channel",
                    "operator",
                    "status",
                    "error_code",
                ),
                name="rollup_cell",
            ),
        ),
    ]
