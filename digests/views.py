"""/digests/: a user's own digest subscriptions (daily and weekly), with their zone."""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.middleware import profile_zone

from .models import DigestRun, DigestSubscription, time_zone_names
from .services import digest_period


class DigestForm(forms.ModelForm):  # type: ignore[type-arg]
    time_zone = forms.ChoiceField(choices=[])

    class Meta:
        model = DigestSubscription
        fields = ["active", "hour", "weekday", "time_zone", "condition"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = cast(forms.ChoiceField, self.fields["time_zone"])
        field.choices = [(name, name) for name in time_zone_names()]


@login_required
def digest_settings(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    forms_by_frequency = {}
    for frequency, label in DigestSubscription.Frequency.choices:
        sub = DigestSubscription.objects.filter(user=user, frequency=frequency).first()
        instance = sub or DigestSubscription(
            user=user,
            frequency=frequency,
            active=False,
            time_zone=profile_zone(user) or settings.DISPLAY_TIME_ZONE,
        )
        posted = request.method == "POST" and request.POST.get("frequency") == frequency
        form = DigestForm(request.POST if posted else None, instance=instance, prefix=frequency)
        if posted and form.is_valid():
            form.save()
            messages.success(request, f"{label} digest saved.")
            return redirect("digests:settings")
        forms_by_frequency[frequency] = (label, form, instance)
    now = timezone.now()
    rows = [
        (
            label,
            form,
            instance,
            digest_period(instance, now=now) if instance.pk and instance.active else None,
        )
        for label, form, instance in forms_by_frequency.values()
    ]
    context = {
        "rows": rows,
        "runs": DigestRun.objects.filter(subscription__user=user)[:10],
        "email": user.email,
    }
    return render(request, "digests/settings.html", context)
