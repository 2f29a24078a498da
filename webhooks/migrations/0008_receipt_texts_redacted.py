"""Receipts applied before message text was cut at storage kept their `text:` part (an OTP,
often) in the error message of the status event and the message: cut it there too."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from webhooks.redaction_rules import receipt_text_redacted


def receipt_texts_redact(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for model_name in ("StatusEvent", "Message"):
        model = apps.get_model("deliveries", model_name)
        rows = model.objects.filter(error_message__icontains="text:").only("pk", "error_message")
        for row in rows.iterator(chunk_size=2000):
            redacted = receipt_text_redacted(row.error_message)
            if redacted != row.error_message:
                model.objects.filter(pk=row.pk).update(error_message=redacted)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0007_unmapped_statuses_role"),
        ("deliveries", "0009_foreign_keys_indexed_once"),
    ]

    operations = [migrations.RunPython(receipt_texts_redact, migrations.RunPython.noop)]
