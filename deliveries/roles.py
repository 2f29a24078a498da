"""The three roles, as groups: Support, Campaign manager, Administrator.

- Support: reads messages, their history, the webhook log and endpoints; may reprocess
  events (`webhooks.change_inboundevent`, the admin's only use of it). Sees masked numbers.
- Campaign manager: reads messages, manages campaigns, sees what messages cost and reads
  the rate card and the providers' bills. Sees masked numbers.
- Administrator: everything Support has, plus endpoints and their secrets, users, full
  phone numbers, the audit trail (read-only), and the subscriptions that forward outcomes
  to customers' systems (with their delivery log), and the rate card and bill imports.

Support staff do not see costs (`can_view_costs`): what a message cost is commercial.

Created by migration 0002_roles (audit's 0002_administrator_role runs it again, once the
audit tables exist); `roles_sync()` is idempotent and can be run again (tests run it after a
transactional test has flushed the database).
"""

from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

SUPPORT = "Support"
CAMPAIGN_MANAGER = "Campaign manager"
ADMINISTRATOR = "Administrator"
# Who reads the dashboard pages (and their API figures, exports and alerts).
DASHBOARD_ROLES = (CAMPAIGN_MANAGER, ADMINISTRATOR)
# Who sees what messages cost (the costs page, cost cards, cost fields of the API).
COST_PERMISSION = "billing.view_costs"
# Who traces messages and reads the webhook log: raw provider traffic.
SUPPORT_ROLES = (SUPPORT, ADMINISTRATOR)

User = AuthUser | AnonymousUser

SUPPORT_PERMISSIONS = [
    "deliveries.view_message",
    "deliveries.view_statusevent",
    "deliveries.view_campaign",
    "webhooks.view_inboundevent",
    "webhooks.change_inboundevent",
    "webhooks.view_webhookendpoint",
    "webhooks.view_unmappedstatus",
]
CAMPAIGN_MANAGER_PERMISSIONS = [
    "deliveries.view_message",
    "deliveries.view_campaign",
    "deliveries.add_campaign",
    "deliveries.change_campaign",
    "billing.view_costs",
    "billing.view_ratecard",
    "billing.view_rate",
    "billing.view_billimport",
]
ADMINISTRATOR_PERMISSIONS = [
    *SUPPORT_PERMISSIONS,
    "deliveries.view_full_phone",
    "deliveries.add_campaign",
    "deliveries.change_campaign",
    "deliveries.change_message",
    "webhooks.add_webhookendpoint",
    "webhooks.change_webhookendpoint",
    "webhooks.delete_webhookendpoint",
    "webhooks.delete_unmappedstatus",  # once mapped, so a recurrence shows afresh
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    "audit.view_auditentry",
    "forwarding.view_subscription",
    "forwarding.add_subscription",
    "forwarding.change_subscription",
    "forwarding.delete_subscription",
    "forwarding.view_delivery",
    "forwarding.change_delivery",
    "forwarding.view_deliveryattempt",
    "billing.view_costs",
    "billing.view_ratecard",
    "billing.add_ratecard",
    "billing.change_ratecard",
    "billing.delete_ratecard",
    "billing.view_rate",
    "billing.add_rate",
    "billing.change_rate",
    "billing.delete_rate",
    "billing.view_columnmapping",
    "billing.add_columnmapping",
    "billing.change_columnmapping",
    "billing.view_billimport",
    "billing.add_billimport",
]
ROLES = {
    SUPPORT: SUPPORT_PERMISSIONS,
    CAMPAIGN_MANAGER: CAMPAIGN_MANAGER_PERMISSIONS,
    ADMINISTRATOR: ADMINISTRATOR_PERMISSIONS,
}


def user_has_role(user: User, *roles: str) -> bool:
    """Signed in and in one of `roles`' groups; superusers hold every role."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return not _role_names(user).isdisjoint(roles)


def _role_names(user: AuthUser) -> frozenset[str]:
    # One query per user object, that is per request: a page asks several times (its view,
    # the top bar's links), like Django's own permission cache on the user.
    names: frozenset[str] | None = getattr(user, "_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = names  # type: ignore[attr-defined]
    return names


def can_view_dashboard(user: User) -> bool:
    return user_has_role(user, *DASHBOARD_ROLES)


def can_view_costs(user: User) -> bool:
    return bool(user.is_active and user.has_perm(COST_PERMISSION))


def can_trace_messages(user: User) -> bool:
    return user_has_role(user, *SUPPORT_ROLES)


def roles_sync(apps: Any = django_apps) -> None:
    if apps is not django_apps:
        # Inside a migration: permissions are made by a post-migrate signal after every
        # migration has run, so on a fresh database they must be created here first.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and apps is not django_apps:
                # An app whose tables are made by a later migration (audit): that
                # migration runs this again and grants its permissions then.
                continue
            if found is None:
                raise LookupError(f"No permission {code} for the role {name}")
            permissions.append(found)
        group.permissions.add(*permissions)
