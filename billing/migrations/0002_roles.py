"""Campaign managers and administrators read costs and the rate card; administrators keep
it: the role definitions (deliveries/roles.py) name billing's permissions, which exist only
from 0001 on, so they are synced again here."""

from django.db import migrations

from deliveries.roles import roles_sync


def roles_grant(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("deliveries", "0002_roles"),
        ("audit", "0002_administrator_role"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_grant, migrations.RunPython.noop)]
