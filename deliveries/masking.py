"""Who sees full phone numbers. The one rule every surface (pages, admin, API, CSV) uses."""

from django.contrib.auth.models import AnonymousUser, User

from .phones import phone_mask

FULL_PHONE_PERMISSION = "deliveries.view_full_phone"


def can_view_full_phone(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm(FULL_PHONE_PERMISSION))


def phone_for(user: User | AnonymousUser, e164: str) -> str:
    """The number as `user` may see it: in full with the permission, masked otherwise."""
    return e164 if can_view_full_phone(user) else phone_mask(e164)
