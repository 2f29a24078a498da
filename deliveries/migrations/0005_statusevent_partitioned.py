"""On PostgreSQL, deliveries_statusevent becomes partitioned by month of received_at
(dlrdash.partitions), and ReportKey loses an index it does not need. SQLite keeps the plain
table; Django's model state is unchanged."""

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from dlrdash import partitions

TABLE = "deliveries_statusevent"


def like_index_drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Django adds a varchar_pattern_ops index to a CharField key on PostgreSQL, for
    # LIKE 'prefix%'. Nobody searches hashes by prefix; the index would only cost inserts.
    # (Dropped here, not in 0004: Django creates it at the end of the migration that
    # creates the table.)
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'deliveries_reportkey' AND indexname LIKE '%\\_like'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def partition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        keep_months = settings.RETENTION_STATUS_EVENT_DAYS // 30 + 1
        partitions.table_partition(schema_editor.connection, TABLE, keep_months=keep_months)


def unpartition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        partitions.table_unpartition(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0004_report_keys"),
    ]

    operations = [
        migrations.RunPython(like_index_drop, migrations.RunPython.noop),
        migrations.RunPython(partition, unpartition),
    ]
