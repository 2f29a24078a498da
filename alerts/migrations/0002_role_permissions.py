"""Campaign managers and administrators manage alert rules and acknowledge alerts (admin).

Here rather than in `deliveries/roles.py` so the deliveries app keeps no knowledge of alerts.
"""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "view_alertrule",
    "add_alertrule",
    "change_alertrule",
    "delete_alertrule",
    "view_alert",
    "change_alert",
    "view_alertnotification",
]
GROUPS = ["Campaign manager", "Administrator"]


def grant(apps: Any, schema_editor: Any) -> None:
    # Permissions are made by a post-migrate signal after every migration has run, so on a
    # fresh database they must be created here first (as deliveries' 0002_roles does).
    app_config = apps.get_app_config("alerts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="alerts", codename__in=PERMISSIONS
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("deliveries", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
