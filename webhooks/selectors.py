"""Reads for the webhook log and the endpoints' health ("SMSTAKE stopped at 14:00")."""

from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import InboundEvent, RejectionCount, WebhookEndpoint


def _events_since(since: datetime, condition: Q) -> Coalesce:
    # A correlated count per endpoint: each one reads only its endpoint's recent rows
    # through the (endpoint, -received_at) index, however long the log grows.
    rows = (
        InboundEvent.objects.filter(condition, endpoint=OuterRef("pk"), received_at__gte=since)
        .order_by()
        .values("endpoint")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _unlogged_since(since: datetime) -> Coalesce:
    # Rejections counted but not logged in a flood (webhooks/rejections.py).
    rows = (
        RejectionCount.objects.filter(endpoint=OuterRef("pk"), minute__gte=since)
        .order_by()
        .values("endpoint")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def endpoint_health(
    *, queryset: QuerySet[WebhookEndpoint], now: datetime
) -> QuerySet[WebhookEndpoint]:
    """Endpoints with their last authentic event and received / auth-failed / unparseable counts
    over the last hour and day; requests counted but not logged in a flood included."""
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    rejected = Q(auth_ok=False)
    unparseable = Q(outcome=InboundEvent.Outcome.UNPARSEABLE)
    # Authentic only: a flood of forged requests must not hide that the provider stopped.
    last_authentic = (
        InboundEvent.objects.filter(endpoint=OuterRef("pk"), auth_ok=True)
        .order_by("-received_at")
        .values("received_at")[:1]
    )
    return queryset.annotate(
        last_report_at=Subquery(last_authentic),
        received_hour=_events_since(hour, Q()) + _unlogged_since(hour),
        received_day=_events_since(day, Q()) + _unlogged_since(day),
        auth_failures_hour=_events_since(hour, rejected) + _unlogged_since(hour),
        auth_failures_day=_events_since(day, rejected) + _unlogged_since(day),
        unparseable_hour=_events_since(hour, unparseable),
        unparseable_day=_events_since(day, unparseable),
    )
