"""An alert rule's segment as a dashboard slice, and the dashboard link of an alert."""

from dataclasses import replace
from datetime import datetime, timedelta

from deliveries.slices import Slice

from .models import Alert, AlertRule


def rule_slice(rule: AlertRule, *, since: datetime, until: datetime) -> Slice:
    return Slice(
        since=since,
        until=until,
        campaign=rule.campaign_id or None,
        provider=rule.provider or None,
        channel=rule.channel or None,
        operator=rule.operator or None,
    )


def dashboard_link(alert: Alert) -> str:
    """The alert's segment over its window. The dashboard's form reads times truncated to
    seconds: the minute added to the end keeps the window's last reports inside the range."""
    rule = alert.rule
    until = alert.resolved_at or alert.window_until
    chosen = rule_slice(rule, since=alert.window_since, until=until + timedelta(minutes=1))
    if not rule.provider and rule.endpoint:
        # A no-DLR rule has no segment of its own: show its endpoint's provider.
        chosen = replace(chosen, provider=rule.endpoint.provider)
    return chosen.dashboard_url()
