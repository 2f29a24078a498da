"""The audit trail in the admin (read-only), and the admin mixins that write to it.

`AuditedAdminMixin` records every add, change and delete made through a ModelAdmin: the
fields that changed (before and after), members added to or removed from many-to-many
fields (a user's groups, a group's permissions), and — by name only — secret fields.
`AuditedUserAdminMixin` adds password changes. Users and groups are registered here with
them; a project User admin of its own should inherit `AuditedUserAdminMixin` first.
"""

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import AuditEntry
from .services import audit_record

# Values never recorded, whatever the model: only that they changed.
ALWAYS_SECRET = ("password",)
# The mixin is type-checked as the ModelAdmin it is mixed into.
if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
    _UserAdminBase = UserAdmin
else:
    _AdminBase = _UserAdminBase = object

ENTRY_FIELDS = (
    "at",
    "actor",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "details_display",
    "remote_addr",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Readable by Administrators and superusers (`audit.view_auditentry`); nobody, superusers
    included, can add, change or delete an entry here."""

    list_display = ["at", "actor_username", "action", "object_type", "object_repr", "remote_addr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "=object_id", "object_repr", "action"]
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 100
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="details")
    def details_display(self, entry: AuditEntry) -> SafeString:
        text = json.dumps(entry.details, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="raw-body">{}</pre>', text)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return f"({len(value)} bytes)"
    return value


def _fields(obj: models.Model | None) -> dict[str, Any]:
    """The object's stored column values (foreign keys as ids)."""
    if obj is None:
        return {}
    return {
        field.name: _plain(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }


def _member_label(member: models.Model) -> str:
    if isinstance(member, Permission):
        app_label = ContentType.objects.get_for_id(member.content_type_id).app_label
        return f"{app_label}.{member.codename}"
    return str(member)


def _members(obj: models.Model) -> dict[str, set[str]]:
    if obj.pk is None:
        return {field.name: set() for field in obj._meta.many_to_many}
    return {
        field.name: {_member_label(m) for m in getattr(obj, field.name).all()}
        for field in obj._meta.many_to_many
    }


class AuditedAdminMixin(_AdminBase):
    """Put before the ModelAdmin class: `class XAdmin(AuditedAdminMixin, admin.ModelAdmin)`.

    Actions are `<audit_name>.create`, `.change`, `.secret_change` and `.delete`.
    """

    audit_name = ""  # the model's name unless set
    # Model fields whose values are never recorded (besides passwords): only their names,
    # and for lists how many items they held before and after.
    audit_secret_fields: tuple[str, ...] = ()

    def _audit_action(self, verb: str) -> str:
        return f"{self.audit_name or self.model._meta.model_name}.{verb}"

    def _audit_secret(self, name: str) -> bool:
        return name in self.audit_secret_fields or name in ALWAYS_SECRET

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        # What is stored now, read before the form's values overwrite it.
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        obj._audit_before = (_fields(stored), _members(stored) if stored else _members(obj))
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before: tuple[dict[str, Any], dict[str, set[str]]] = getattr(obj, "_audit_before", ({}, {}))
        fields_before, members_before = before
        after, secrets = _fields(obj), {}
        changes: dict[str, Any] = {}
        # A field on the form that the person left alone is not reported even if its stored
        # value moved (a date and time loses its microseconds through the form); fields
        # not on the form are, when form logic changed them (an endpoint's secrets).
        untouched = set(form.fields) - set(form.changed_data)
        for name, value in after.items():
            old = fields_before.get(name)
            if (value == old or name in untouched) if change else value in (None, ""):
                continue
            if self._audit_secret(name):
                secrets[name] = _secret_change(old, value)
            else:
                changes[name] = [old, value] if change else value
        for name, now in _members(obj).items():
            old = members_before.get(name, set())
            if now != old:
                changes[name] = {"added": sorted(now - old), "removed": sorted(old - now)}
        if not change:
            details = {"values": changes, "secrets": sorted(secrets)}
            audit_record(
                actor=request.user,
                action=self._audit_action("create"),
                target=obj,
                details=details,
                request=request,
            )
            return
        if changes:
            audit_record(
                actor=request.user,
                action=self._audit_action("change"),
                target=obj,
                details={"changes": changes},
                request=request,
            )
        if secrets:
            audit_record(
                actor=request.user,
                action=self._audit_action("secret_change"),
                target=obj,
                details={"secrets": secrets},
                request=request,
            )

    def _audit_delete(self, request: HttpRequest, obj: Any) -> None:
        values = {k: v for k, v in _fields(obj).items() if not self._audit_secret(k)}
        audit_record(
            actor=request.user,
            action=self._audit_action("delete"),
            target=obj,
            details={"values": values},
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit_delete(request, obj)  # before: a deleted object has no id left
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)


def _secret_change(old: Any, new: Any) -> dict[str, Any]:
    """What may be said of a secret that changed: how many there were, for a list."""
    if isinstance(old, list) or isinstance(new, list):
        return {"before": len(old or []), "after": len(new or [])}
    return {"changed": True}


class AuditedUserAdminMixin(AuditedAdminMixin, _UserAdminBase):
    """Users: creation, every field change (is_staff, is_superuser, is_active…), group and
    permission changes, deletion, and password changes (`user.password_change`)."""

    audit_name = "user"

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved, redirected
            user = self.get_object(request, unquote(id))
            audit_record(
                actor=request.user,
                action="user.password_change",
                target=user,
                details={},
                request=request,
            )
        return response


class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    audit_name = "role"  # groups are the roles (deliveries/roles.py)


# django.contrib.auth registered Group before this app's admin module runs. Users are
# registered by deliveries/user_admin.py, whose admin uses AuditedUserAdminMixin.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
