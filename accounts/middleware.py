"""Activates the signed-in user's time zone for the request (their profile's, else the
site's TIME_ZONE), so every page, form and the admin read and write times in it."""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Profile


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = ""
        if request.user.is_authenticated:
            name = (
                Profile.objects.filter(user_id=request.user.pk)
                .values_list("time_zone", flat=True)
                .first()
            ) or ""
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                # A zone removed from the system's database since it was chosen.
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
