"""The User admin: only superusers make superusers or touch them."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User

from ..factories import make_user, role_group
from .people import admin_as

pytestmark = pytest.mark.django_db


def user_form(user: User, **changes: Any) -> dict[str, Any]:
    """The admin's change form for `user`, as the browser would post it back."""
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    return {**data, **changes}


def permission(code: str) -> Permission:
    app_label, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _tick_superuser_on_themselves(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    response = admin_as(me).post(
        f"/admin/auth/user/{me.pk}/change/", user_form(me, is_superuser="on")
    )
    return response, lambda: User.objects.get(pk=me.pk).is_superuser


def _tick_superuser_on_a_colleague(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    colleague = make_user("Support")
    response = admin_as(me).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, is_superuser="on")
    )
    return response, lambda: User.objects.get(pk=colleague.pk).is_superuser


def _set_a_superusers_password(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    response = admin_as(me).post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "taken-over-2026", "password2": "taken-over-2026", "usable_password": "true"},
    )
    return response, lambda: User.objects.get(pk=root.pk).check_password("taken-over-2026")


def _deactivate_a_superuser(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    form = user_form(root)
    del form["is_active"]
    response = admin_as(me).post(f"/admin/auth/user/{root.pk}/change/", form)
    return response, lambda: not User.objects.get(pk=root.pk).is_active


def _grant_themselves_a_permission_they_lack(
    me: User, root: User
) -> tuple[Any, Callable[[], bool]]:
    extra = permission("auth.delete_user")
    response = admin_as(me).post(
        f"/admin/auth/user/{me.pk}/change/", user_form(me, user_permissions=[extra.pk])
    )
    return (
        response,
        lambda: User.objects.get(pk=me.pk).user_permissions.filter(pk=extra.pk).exists(),
    )


def _join_a_group_with_more_permissions(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    group = Group.objects.create(name="Auditors")
    group.permissions.add(permission("auth.delete_user"))
    groups = [*(g.pk for g in me.groups.all()), group.pk]
    response = admin_as(me).post(f"/admin/auth/user/{me.pk}/change/", user_form(me, groups=groups))
    return response, lambda: User.objects.get(pk=me.pk).groups.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    ("attempt", "refusal"),
    [
        (_tick_superuser_on_themselves, "saved without it: read-only"),
        (_tick_superuser_on_a_colleague, "saved without it: read-only"),
        (_set_a_superusers_password, 403),
        (_deactivate_a_superuser, 403),
        (_grant_themselves_a_permission_they_lack, "form error"),
        (_join_a_group_with_more_permissions, "form error"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else str(value),
)
def test_an_administrator_cannot_raise_privileges_in_the_user_admin(attempt, refusal):
    me, root = make_user("Administrator"), make_user(superuser=True)

    response, happened = attempt(me, root)

    assert not happened()
    if refusal == 403:
        assert response.status_code == 403
    elif refusal == "form error":
        assert response.status_code == 200
        assert "would grant permissions you do not have" in response.content.decode()
    else:
        assert response.status_code == 302


def test_an_administrator_sees_is_superuser_read_only_and_a_superuser_as_view_only():
    me, root = make_user("Administrator"), make_user(superuser=True)
    client = admin_as(me)

    own_page = client.get(f"/admin/auth/user/{me.pk}/change/").content.decode()
    root_page = client.get(f"/admin/auth/user/{root.pk}/change/")

    assert 'name="is_superuser"' not in own_page
    assert 'name="is_staff"' in own_page
    assert root_page.status_code == 200
    assert 'name="username"' not in root_page.content.decode()
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403


def test_an_administrator_still_gives_colleagues_roles_and_resets_their_passwords():
    me, colleague = make_user("Administrator"), make_user("Support")
    manager = role_group("Campaign manager")
    client = admin_as(me)

    changed = client.post(
        f"/admin/auth/user/{colleague.pk}/change/",
        user_form(
            colleague,
            groups=[manager.pk],
            user_permissions=[permission("deliveries.view_message").pk],
        ),
    )
    password = client.post(
        f"/admin/auth/user/{colleague.pk}/password/",
        {
            "password1": "a-new-start-2026",
            "password2": "a-new-start-2026",
            "usable_password": "true",
        },
    )

    assert (changed.status_code, password.status_code) == (302, 302)
    colleague.refresh_from_db()
    assert [g.name for g in colleague.groups.all()] == ["Campaign manager"]
    assert colleague.check_password("a-new-start-2026")


def test_a_superuser_may_make_another_superuser():
    root, colleague = make_user(superuser=True), make_user("Support")

    admin_as(root).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, is_superuser="on")
    )

    assert User.objects.get(pk=colleague.pk).is_superuser


def test_permissions_beyond_the_editor_are_kept_when_an_administrator_saves_a_user():
    me, colleague = make_user("Administrator"), make_user("Support")
    granted_by_root = permission("auth.delete_user")
    colleague.user_permissions.add(granted_by_root)

    response = admin_as(me).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, first_name="Asha")
    )

    assert response.status_code == 302
    assert colleague.user_permissions.filter(pk=granted_by_root.pk).exists()
