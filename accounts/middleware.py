"""Activates the zone people read times in for the request: the signed-in user's (their
profile's), else the site's DISPLAY_TIME_ZONE, so every page, form and the admin read and
write times in it. The API is left in UTC, Django's default zone here: what a machine reads
must not depend on a person's profile.

The zone is read from the profile once, at login, and kept in the session: pages pay no
query for it (their query counts are pinned by tests). /profile/ updates both.
"""

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Profile

SESSION_KEY = "time_zone"
MACHINE_PATHS = ("/api/",)


def profile_zone(user: Any) -> str:
    """The user's chosen zone name, "" for the site's."""
    name = Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return name or ""


def zone_remember(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On login (the `user_logged_in` signal, connected in AccountsConfig.ready)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = profile_zone(user)


def _zone_of(request: HttpRequest) -> str:
    if not request.user.is_authenticated:
        return ""
    remembered: str | None = request.session.get(SESSION_KEY)
    if remembered is None:  # a session from before this key existed
        remembered = request.session[SESSION_KEY] = profile_zone(request.user)
    return remembered


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(MACHINE_PATHS):
            timezone.deactivate()
            return self.get_response(request)
        try:
            name = _zone_of(request) or settings.DISPLAY_TIME_ZONE
        except DatabaseError:
            # The database is away: the view meets the same error and answers it as it
            # does, not this middleware with a 500.
            name = settings.DISPLAY_TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            # A zone removed from the system's database since it was chosen.
            timezone.activate(zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
