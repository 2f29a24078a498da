"""Who may do what over the API: the same rules as the admin and the pages.

Roles are the three groups of `deliveries.roles`: Support, Campaign manager, Administrator.
Writes ask for the model permission the admin asks for (a Campaign manager may change a
campaign but not delete it, in both); reads take the model's view permission or a role.
Being staff grants nothing here, as it grants nothing in the admin. Superusers may do
everything. Anonymous requests never reach these: IsAuthenticated answers them 401 first.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from ..roles import ADMINISTRATOR, DASHBOARD_ROLES, ROLES, SUPPORT_ROLES, User, user_has_role


class RolePermission(BasePermission):
    """Reads for the model's view permission or `read_roles`; writes for the model's
    add/change/delete permission or `write_roles` (none by default: name roles only where
    their groups' permissions do not already say it, as for registering messages)."""

    read_roles: tuple[str, ...] = tuple(ROLES)
    write_roles: tuple[str, ...] = ()
    # app_label.model_name, for the model permissions that also grant access.
    model: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
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
    # Administrators may too (the admin has no page for it to mirror).
    model = "deliveries.message"
    write_roles = (ADMINISTRATOR,)


class CampaignPermission(RolePermission):
    model = "deliveries.campaign"


class DashboardPermission(RolePermission):
    """Statistics, comparison and DLT: the dashboard pages' figures, for their roles
    (`campaign_manager_required` in deliveries/views/dashboard.py). Read-only."""

    read_roles = DASHBOARD_ROLES


class WebhookEventPermission(RolePermission):
    """The webhook log shows raw provider traffic: Support and Administrator only."""

    read_roles = SUPPORT_ROLES


class EndpointPermission(RolePermission):
    """Endpoints carry secrets: Administrator only."""

    read_roles = (ADMINISTRATOR,)
    write_roles = (ADMINISTRATOR,)
