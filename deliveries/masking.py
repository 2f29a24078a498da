"""Who sees full phone numbers. The one rule every surface (pages, admin, API, CSV) uses,
and the audit record of each time it showed them."""

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import HttpRequest

from audit.services import audit_record

from .phones import phone_mask

FULL_PHONE_PERMISSION = "deliveries.view_full_phone"


def can_view_full_phone(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm(FULL_PHONE_PERMISSION))


def phone_for(user: User | AnonymousUser, e164: str) -> str:
    """The number as `user` may see it: in full with the permission, masked otherwise."""
    return e164 if can_view_full_phone(user) else phone_mask(e164)


def full_phone_view_record(
    *,
    request: HttpRequest,
    surface: str,
    count: int = 1,
    target: models.Model | type[models.Model] | None = None,
) -> None:
    """Audit: the request's user was shown `count` full numbers on `surface` (a page, the
    admin, the API). One entry per request, however many rows; nothing when masked."""
    if count and can_view_full_phone(request.user):
        audit_record(
            actor=request.user,
            action="phone.view",
            target=target,
            details={"surface": surface, "count": count},
            request=request,
        )
