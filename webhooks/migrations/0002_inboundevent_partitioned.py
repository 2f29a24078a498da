"""On PostgreSQL, webhooks_inboundevent becomes partitioned by month of received_at
(dlrdash.partitions). SQLite keeps the plain table; Django's model state is unchanged."""

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from dlrdash import partitions

TABLE = "webhooks_inboundevent"


def partition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        keep_months = settings.RETENTION_INBOUND_EVENT_DAYS // 30 + 1
        partitions.table_partition(schema_editor.connection, TABLE, keep_months=keep_months)


def unpartition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        partitions.table_unpartition(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
