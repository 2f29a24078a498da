"""The three roles as groups (see deliveries/roles.py). Users are given a group in the admin."""

from django.db import migrations

from deliveries.roles import ROLES, roles_sync


def roles_create(apps, schema_editor):
    roles_sync(apps)


def roles_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0001_initial"),
        ("webhooks", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_create, roles_delete)]
