"""Support and Administrators read the unmapped statuses (deliveries/roles.py)."""

from django.db import migrations

from deliveries.roles import roles_sync


def roles_grant(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0006_endpoint_mapping_unmapped_statuses"),
        ("deliveries", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_grant, migrations.RunPython.noop)]
