"""The dashboard link of an alert: its segment and window, in the dashboard's parameters."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from .models import Alert


def dashboard_link(alert: Alert) -> str:
    """The dashboard's own query parameters (`deliveries/views/dashboard.py` `SliceForm`).

    The form reads naive local times, as its own export links write them; the minute added to
    the end keeps the last reports of the window inside the range after truncation to seconds.
    """
    rule = alert.rule
    until = alert.resolved_at or alert.window_until
    params = {
        "range": "custom",
        "since": _local(alert.window_since),
        "until": _local(until + timedelta(minutes=1)),
        "campaign": rule.campaign_id or "",
        # A no-DLR rule has no segment of its own: show its endpoint's provider.
        "provider": rule.provider or (rule.endpoint.provider if rule.endpoint else ""),
        "channel": rule.channel,
        "operator": rule.operator,
    }
    query = urlencode({k: v for k, v in params.items() if v != ""})
    return f"{reverse('deliveries:dashboard')}?{query}"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")
