"""Dedup keys move from a unique column of StatusEvent to a table of their own (ReportKey),
so that StatusEvent can be partitioned by month (0005)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone


def keys_copy(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Only the keys retention would keep: older ones would be pruned the next day anyway.
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_REPORT_KEY_DAYS)
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('deliveries_reportkey')} (dedup_key, received_at) "
            f"SELECT dedup_key, received_at FROM {quote('deliveries_statusevent')} "
            "WHERE received_at >= %s",
            [schema_editor.connection.ops.adapt_datetimefield_value(cutoff)],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0003_rollups"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportKey",
            fields=[
                ("dedup_key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(keys_copy, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="statusevent",
            name="dedup_key",
            field=models.CharField(max_length=64),
        ),
        migrations.AddIndex(
            model_name="statusevent",
            index=models.Index(fields=["dedup_key"], name="event_dedup_key"),
        ),
    ]
