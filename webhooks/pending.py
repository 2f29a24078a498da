"""The facts about a pending message that deliveries cannot read itself: whether its
provider's endpoint is still receiving, and when forwarding will send `message.no_dlr`.
Named in `settings.MESSAGE_PENDING_FACTS` for the message page (`deliveries.pending`)."""

from datetime import datetime, timedelta

from django.db.models import Max
from django.db.models.functions import Coalesce

from deliveries.models import Message
from deliveries.pending import OutsideFacts
from forwarding.models import NO_DLR, Subscription

from .models import WebhookEndpoint


def message_pending_facts(message: Message) -> OutsideFacts:
    endpoints = WebhookEndpoint.objects.filter(provider=message.provider, active=True)
    found = endpoints.aggregate(last=Max("last_received_at"), n=Coalesce(Max("pk"), 0))
    return OutsideFacts(
        endpoint_last_received_at=found["last"],
        has_endpoint=bool(found["n"]),
        forwarding_no_dlr_at=_forwarding_deadline(message),
    )


def _forwarding_deadline(message: Message) -> datetime | None:
    """The earliest no-DLR deadline among the active subscriptions whose filters take the
    message (`forwarding.deadlines` fires it from the same fields)."""
    start = message.submitted_at or message.created_at
    deadlines = []
    for sub in Subscription.objects.filter(active=True, no_dlr_seconds__isnull=False):
        if NO_DLR not in sub.event_types or not sub.no_dlr_seconds:
            continue
        if sub.providers and message.provider not in sub.providers:
            continue
        if sub.channels and message.channel not in sub.channels:
            continue
        if sub.campaigns and message.campaign_id not in sub.campaigns:
            continue
        if sub.client_ref_prefix and not message.client_ref.startswith(sub.client_ref_prefix):
            continue
        deadlines.append(start + timedelta(seconds=sub.no_dlr_seconds))
    return min(deadlines, default=None)
