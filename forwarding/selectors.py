"""Forwarding reads: per-subscription health and the outbox backlog."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import Delivery, DeliveryAttempt, Subscription


@dataclass(frozen=True)
class Health:
    attempts_last_hour: int
    success_rate_last_hour: float | None  # share of attempts answered 2xx; None: no attempt
    backlog: int  # pending deliveries
    oldest_pending_seconds: float | None  # age of the oldest pending delivery
    failing_since: datetime | None
    paused_until: datetime | None


def subscription_health(*, subscription: Subscription, now: datetime | None = None) -> Health:
    now = now or timezone.now()
    attempts = DeliveryAttempt.objects.filter(
        subscription_id=subscription.pk, attempted_at__gte=now - timedelta(hours=1)
    ).aggregate(n=Count("pk"), ok=Count("pk", filter=Q(status_code__gte=200, status_code__lt=300)))
    pending = Delivery.objects.filter(subscription=subscription, state=Delivery.State.PENDING)
    backlog = pending.aggregate(n=Count("pk"), oldest=Min("created_at"))
    oldest = backlog["oldest"]
    return Health(
        attempts_last_hour=attempts["n"],
        success_rate_last_hour=attempts["ok"] / attempts["n"] if attempts["n"] else None,
        backlog=backlog["n"],
        oldest_pending_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        failing_since=subscription.failing_since,
        paused_until=subscription.paused_until,
    )


def outbox_backlog(*, now: datetime | None = None) -> tuple[int, float]:
    """Pending deliveries of active subscriptions, and how long the most overdue one has
    been due (seconds; 0 when none is)."""
    now = now or timezone.now()
    active = list(Subscription.objects.filter(active=True).values_list("pk", flat=True))
    pending = Delivery.objects.filter(subscription_id__in=active, state=Delivery.State.PENDING)
    # Per subscription, the earliest due time is the first entry of delivery_due.
    due = pending.values("subscription_id").annotate(first=Min("next_attempt_at"))
    overdue = max(((now - row["first"]).total_seconds() for row in due), default=0.0)
    return pending.count(), round(max(overdue, 0.0), 1)


def subscriptions_failing(*, since: datetime) -> list[Subscription]:
    """Active subscriptions whose receiver has failed every attempt since before `since`."""
    return list(
        Subscription.objects.filter(active=True, failing_since__lte=since).order_by("failing_since")
    )
