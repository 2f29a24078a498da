"""`/` (each role's home) and `/profile/` (the time zone times are shown in)."""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

from .middleware import SESSION_KEY
from .models import Profile, zone_names
from .navigation import home_url


def home(request: HttpRequest) -> HttpResponse:
    """Signed out: the login, back here after it; signed in: the role's start page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return redirect(home_url(request.user))


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links; the icon is a static SVG (its
    URL read per request: collected static files carry a hash in their names)."""
    return redirect(static("favicon.svg"))


# Not subscripted: Django's ModelForm is generic only in the type stubs.
class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    time_zone = forms.ChoiceField(required=False, label="Time zone")

    class Meta:
        model = Profile
        fields = ["time_zone"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        site = f"Site default ({settings.DISPLAY_TIME_ZONE})"
        choices = [("", site), *((name, name.replace("_", " ")) for name in zone_names())]
        self.fields["time_zone"].choices = choices  # type: ignore[attr-defined]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required lets only signed-in users through
    instance = Profile.objects.filter(user=user).first() or Profile(user=user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.session[SESSION_KEY] = instance.time_zone
        messages.success(request, "Saved: times are now shown in your chosen zone.")
        return redirect("accounts:profile")
    context = {"form": form, "now": timezone.now(), "site_zone": settings.DISPLAY_TIME_ZONE}
    return render(request, "accounts/profile.html", context)
