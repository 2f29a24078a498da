"""Users in the admin: nobody grants more than they hold.

Administrators manage users (a role is a group), but they are not superusers: without these
limits the stock admin lets them tick `is_superuser` on themselves, reset a superuser's
password, or give themselves any permission. So, for everyone but superusers:

- `is_superuser` is read-only;
- superusers' accounts (and their passwords) can be looked at, not changed or deleted;
- groups and permissions may be added only if the editor holds every permission they carry.
  What a superuser granted beyond that stays as it is.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Permission, User
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin import AuditedUserAdminMixin


def _codes(permissions: QuerySet[Permission]) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    }


class BoundedUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    # The user saving the form; set per request by `UserAdmin.get_form`.
    editor: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        editor = self.editor
        if editor is None or editor.is_superuser:
            return cleaned
        held = editor.get_all_permissions()
        before_groups = set(self.instance.groups.all()) if self.instance.pk else set()
        for group in set(cleaned.get("groups") or []) - before_groups:
            beyond = _codes(group.permissions.all()) - held
            if beyond:
                self.add_error("groups", _beyond_error(f"The group {group}", beyond))
        before_perms = set(self.instance.user_permissions.all()) if self.instance.pk else set()
        added = [p.pk for p in set(cleaned.get("user_permissions") or []) - before_perms]
        beyond = _codes(Permission.objects.filter(pk__in=added)) - held
        if beyond:
            self.add_error("user_permissions", _beyond_error("These permissions", beyond))
        return cleaned


def _beyond_error(what: str, beyond: set[str]) -> forms.ValidationError:
    return forms.ValidationError(
        "%(what)s would grant permissions you do not have: %(codes)s.",
        params={"what": what, "codes": ", ".join(sorted(beyond))},
    )


class UserAdmin(AuditedUserAdminMixin, auth_admin.UserAdmin):  # type: ignore[type-arg]
    form = BoundedUserChangeForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:  # modelform_factory made this class for this request
            form.editor = request.user  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return [*fields, "is_superuser"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Also guards the password form, which asks this for the user being changed.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # The bulk action asks has_delete_permission without an object: refuse there too.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not request.user.is_superuser:
            protected = [*protected, *(f"{u} (a superuser)" for u in objs if u.is_superuser)]
        return deleted, counts, perms_needed, protected


def user_admin_register(site: admin.AdminSite = admin.site) -> None:
    """Replace the stock User admin (django.contrib.auth registered it first)."""
    if site.is_registered(User):
        site.unregister(User)
    site.register(User, UserAdmin)
