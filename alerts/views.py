"""The alert history page and its acknowledge button."""

from typing import cast

from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from deliveries.views.dashboard import campaign_manager_required

from . import services
from .links import dashboard_link
from .models import Alert

PAGE_SIZE = 50


@campaign_manager_required
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = Alert.objects.select_related("rule", "acknowledged_by").order_by("-fired_at", "-pk")
    state = request.GET.get("state", "")
    if state in Alert.State.values:
        alerts = alerts.filter(state=state)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(alert, dashboard_link(alert)) for alert in page]
    context = {"page": page, "rows": rows, "state": state, "states": Alert.State.choices}
    return render(request, "alerts/alert_list.html", context)


@require_POST
@campaign_manager_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    # campaign_manager_required lets only signed-in users through.
    services.alert_acknowledge(alert=alert, user=cast(User, request.user))
    return HttpResponseRedirect(reverse("alerts:list"))
