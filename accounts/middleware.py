"""Activates the signed-in user's time zone for the request (their profile's, else the
site's TIME_ZONE), so every page, form and the admin read and write times in it.

The zone is read from the profile once, at login, and kept in the session: pages pay no
query for it (their query counts are pinned by tests). /profile/ updates both.
"""

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.db import Error as DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Profile

SESSION_KEY = "time_zone"


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
        try:
            name = _zone_of(request)
        except DatabaseError:
            # The database is away: the view meets the same error and answers it as it
            # does (the API's JSON 503 with Retry-After), not this middleware with a 500.
            name = ""
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                # A zone removed from the system's database since it was chosen.
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
