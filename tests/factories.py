"""People for the tests: one factory for users in any role, with or without extra rights."""

from importlib import import_module

from django.contrib.auth.models import Group, Permission, User

from deliveries.roles import roles_sync

PASSWORD = "pw"
# The alerts app grants its own permissions to the roles in a migration of its own.
alert_grants = import_module("alerts.migrations.0002_role_permissions")


def roles_restore() -> None:
    """The groups the roles migrations create, as they leave them: a transactional test's
    flush removes them (it keeps permissions, not the rows data migrations wrote)."""
    roles_sync()
    permissions = Permission.objects.filter(
        content_type__app_label="alerts", codename__in=alert_grants.PERMISSIONS
    )
    for name in alert_grants.GROUPS:
        Group.objects.get(name=name).permissions.add(*permissions)


def role_group(name: str) -> Group:
    """One of the role groups, restored first if a flush removed them."""
    group = Group.objects.filter(name=name).first()
    if group is None:
        roles_restore()
        group = Group.objects.get(name=name)
    return group


def make_user(
    role: str | None = None,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    staff: bool | None = None,
    superuser: bool = False,
    perms: tuple[str, ...] = (),
) -> User:
    """A user in `role` ("Support", "Campaign manager", "Administrator") or in none.

    People in a role are staff unless told otherwise (the admin login admits staff only);
    `perms` are extra permissions as "app_label.codename".
    """
    name = username or (role or ("root" if superuser else "nobody")).lower().replace(" ", "_")
    is_staff = staff if staff is not None else superuser or role is not None
    if superuser:
        user = User.objects.create_superuser(name, password=password, is_staff=is_staff)
    else:
        user = User.objects.create_user(name, password=password, is_staff=is_staff)
    if role:
        user.groups.add(role_group(role))
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user
