"""Alert writes: evaluating rules into alerts, acknowledging, and delivering notifications.

Evaluation never sends anything itself: it records `AlertNotification` rows in the same
transaction as the alert and enqueues their delivery after commit, so a slow mail server or
webhook receiver never holds up the next rule. Delivery runs on the Celery queue `outbound`,
never in the worker that applies reports, and webhooks go out through `dlrdash.outbound`.
"""

import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from dlrdash import outbound

from .evaluation import Measurement, rule_measure
from .links import dashboard_link
from .models import Alert, AlertNotification, AlertRule
from .signing import signed_headers

log = logging.getLogger(__name__)

# Retry delays after the 1st, 2nd, … failed attempt (the sweeper runs every minute).
BACKOFF = [timedelta(minutes=m) for m in (1, 2, 5, 10, 30, 60)]


def rules_evaluate(*, now: datetime | None = None) -> int:
    """Evaluate every active rule; returns how many alerts fired or resolved."""
    now = now or timezone.now()
    changed = 0
    for rule in AlertRule.objects.filter(active=True).select_related("endpoint"):
        try:
            changed += rule_evaluate(rule=rule, now=now)
        except Exception:  # one broken rule must not stop the others
            log.exception("alert rule %s failed to evaluate", rule.pk)
    return changed


def rule_evaluate(*, rule: AlertRule, now: datetime) -> bool:
    """Fire a new alert, resolve the open one, or do nothing. True when something changed."""
    open_alert = Alert.objects.filter(rule=rule, resolved_at__isnull=True).first()
    episode_since = open_alert.window_since if open_alert else None
    measured = rule_measure(rule, now=now, episode_since=episode_since)
    with transaction.atomic():
        # The rule's row lock serialises evaluators (two beat runs overlapping), and the open
        # alert is read again under it: one episode, one alert.
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        open_alert = Alert.objects.filter(rule=rule, resolved_at__isnull=True).first()
        if open_alert is None and measured.breached:
            alert = _alert_fire(rule, measured, now)
            _notifications_record(alert, AlertNotification.Event.FIRED, now)
            return True
        if open_alert is not None and measured.cleared:
            open_alert.state = Alert.State.RESOLVED
            open_alert.resolved_at = now
            open_alert.save(update_fields=["state", "resolved_at"])
            _notifications_record(open_alert, AlertNotification.Event.RESOLVED, now)
            return True
    return False


def _alert_fire(rule: AlertRule, measured: Measurement, now: datetime) -> Alert:
    return Alert.objects.create(
        rule=rule,
        fired_at=now,
        window_since=measured.since,
        window_until=measured.until,
        observed=measured.observed,
        baseline=measured.baseline,
        volume=measured.volume,
        summary=measured.summary[:500],
    )


def _notifications_record(alert: Alert, event: str, now: datetime) -> None:
    rule = alert.rule
    rows = [
        AlertNotification(
            alert=alert, event=event, channel="email", destination=to, next_attempt_at=now
        )
        for to in rule.emails()
    ]
    if rule.webhook_url:
        rows.append(
            AlertNotification(
                alert=alert,
                event=event,
                channel="webhook",
                destination=rule.webhook_url,
                next_attempt_at=now,
            )
        )
    created = AlertNotification.objects.bulk_create(rows)
    ids = [n.pk for n in created]
    if ids:
        from .tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.delay(ids))


def alert_acknowledge(*, alert: Alert, user: User) -> Alert:
    """Acknowledge an open alert (idempotent; a resolved alert stays resolved)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state == Alert.State.FIRED:
            alert.state = Alert.State.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user
            alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    return alert


# --- Delivery ---------------------------------------------------------------------------


def notifications_deliver(*, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Attempt the given notifications, or every pending one that is due. Returns how many
    were sent. Each row is locked while it is attempted, so two workers never send it twice."""
    now = now or timezone.now()
    due = AlertNotification.objects.filter(status=AlertNotification.Status.PENDING)
    due = due.filter(pk__in=ids) if ids is not None else due.filter(next_attempt_at__lte=now)
    sent = 0
    for pk in list(due.values_list("pk", flat=True)[:500]):
        sent += notification_deliver(notification_id=pk, now=now)
    return sent


def notification_deliver(*, notification_id: int, now: datetime) -> bool:
    with transaction.atomic():
        notification = (
            AlertNotification.objects.select_for_update(skip_locked=True)
            .select_related("alert__rule")
            .filter(pk=notification_id, status=AlertNotification.Status.PENDING)
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        try:
            _send(notification, now)
        except outbound.OutboundError as exc:
            _attempt_failed(notification, str(exc), now)
        except Exception as exc:  # mail: the operator's own SMTP server, errors shown as is
            _attempt_failed(notification, f"{type(exc).__name__}: {exc}", now)
        else:
            notification.status = AlertNotification.Status.SENT
            notification.sent_at = now
            notification.last_error = ""
        notification.save()
    return notification.status == AlertNotification.Status.SENT


def _attempt_failed(notification: AlertNotification, error: str, now: datetime) -> None:
    notification.last_error = error[:500]
    if notification.attempts >= settings.ALERTS_MAX_ATTEMPTS:
        notification.status = AlertNotification.Status.FAILED
    else:
        delay = BACKOFF[min(notification.attempts, len(BACKOFF)) - 1]
        notification.next_attempt_at = now + delay


def alert_payload(alert: Alert, event: str) -> dict[str, object]:
    rule = alert.rule
    return {
        "type": f"alert.{event}",
        "timestamp": timezone.now().isoformat(),
        "data": {
            "alert_id": alert.pk,
            "state": alert.state,
            "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind},
            "segment": {
                "campaign": rule.campaign_id,
                "provider": rule.provider,
                "operator": rule.operator,
                "channel": rule.channel,
                "dlt_template_id": rule.dlt_template_id,
                "error_code": rule.error_code,
                "endpoint": rule.endpoint.slug if rule.endpoint else None,
            },
            "summary": alert.summary,
            "observed_percent": alert.observed,
            "baseline_percent": alert.baseline,
            "volume": alert.volume,
            "window_since": alert.window_since.isoformat(),
            "window_until": alert.window_until.isoformat(),
            "fired_at": alert.fired_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "dashboard_url": settings.ALERTS_BASE_URL + dashboard_link(alert),
        },
    }


def _send(notification: AlertNotification, now: datetime) -> None:
    alert = notification.alert
    payload = alert_payload(alert, notification.event)
    if notification.channel == AlertNotification.Channel.EMAIL:
        verb = "RESOLVED" if notification.event == "resolved" else "FIRED"
        send_mail(
            subject=f"[dlrdash] {verb}: {alert.rule.name}"[:200],
            message=f"{alert.summary}\n\nDashboard: {payload['data']['dashboard_url']}\n",  # type: ignore[index]
            from_email=settings.ALERTS_FROM_EMAIL,
            recipient_list=[notification.destination],
        )
        return
    body = json.dumps(payload).encode()
    headers = signed_headers(
        secret=alert.rule.webhook_secret,
        msg_id=notification.webhook_id,
        timestamp=int(time.time()),  # the receiver's clock checks this, not `now`
        body=body,
    )
    # Refused destinations, timeouts, redirects and non-2xx answers raise OutboundError,
    # whose message is safe to show the rule's owner; recorded by the caller and retried.
    outbound.post(notification.destination, body=body, headers=headers)
