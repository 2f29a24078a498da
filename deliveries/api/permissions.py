"""Who may do what over the API: roles (groups) first, model permissions as well.

Roles are the three groups of the design: Support, Campaign manager, Administrator.
Superusers may do everything. Anonymous requests never reach these: IsAuthenticated
answers them 401 first.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

SUPPORT = "Support"
CAMPAIGN_MANAGER = "Campaign manager"
ADMINISTRATOR = "Administrator"
ROLES = (SUPPORT, CAMPAIGN_MANAGER, ADMINISTRATOR)

User = AuthUser | AnonymousUser


def user_has_role(user: User, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


class RolePermission(BasePermission):
    """Reads for `read_roles` (or staff, or the model's view permission), writes for
    `write_roles` (or the model's add/change/delete permission)."""

    read_roles: tuple[str, ...] = ROLES
    write_roles: tuple[str, ...] = (ADMINISTRATOR,)
    # app_label.model_name, for the model permissions that also grant access.
    model: str = ""
    staff_may_read = True

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            if self.staff_may_read and user.is_staff:
                return True
            return self._model_perm(user, "view") or user_has_role(user, *self.read_roles)
        action = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}
        perm = action.get(request.method or "")
        if perm is None:
            return False
        return self._model_perm(user, perm) or user_has_role(user, *self.write_roles)

    def _model_perm(self, user: User, action: str) -> bool:
        if not self.model:
            return False
        app_label, model_name = self.model.split(".")
        return user.has_perm(f"{app_label}.{action}_{model_name}")


class MessagePermission(RolePermission):
    # The sending service's user registers messages: give it deliveries.add_message.
    model = "deliveries.message"


class CampaignPermission(RolePermission):
    model = "deliveries.campaign"
    write_roles = (CAMPAIGN_MANAGER, ADMINISTRATOR)


class WebhookEventPermission(RolePermission):
    """The webhook log shows raw provider traffic: Support and Administrator only."""

    read_roles = (SUPPORT, ADMINISTRATOR)
    write_roles = ()
    staff_may_read = False


class EndpointPermission(RolePermission):
    """Endpoints carry secrets: Administrator only."""

    read_roles = (ADMINISTRATOR,)
    write_roles = (ADMINISTRATOR,)
    staff_may_read = False
