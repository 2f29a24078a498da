"""Forwarding writes people ask for: replay, the test event, retention."""

import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import webhook_secret_generate
from alerts.signing import signed_headers

from . import sender
from .kicker import deliveries_kick
from .models import Delivery, DeliveryAttempt, Subscription
from .payload import test_payload


def deliveries_replay(
    *,
    subscription: Subscription | None = None,
    since: datetime | None = None,
    ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Send deliveries again: `ids`, or a subscription's since a time (delivered, failed or
    pending alike). Same rows, so the same `webhook-id` and `sequence`; the retry window
    starts afresh. Returns how many were queued."""
    now = now or timezone.now()
    rows = Delivery.objects.all()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    if subscription is not None:
        rows = rows.filter(subscription=subscription)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    hours = dict(Subscription.objects.values_list("pk", "retry_hours"))
    count = 0
    with transaction.atomic():
        for pk, hours_of in hours.items():
            count += rows.filter(subscription_id=pk).update(
                state=Delivery.State.PENDING,
                attempts=0,
                next_attempt_at=now,
                expires_at=now + timedelta(hours=hours_of),
            )
        if count:
            transaction.on_commit(deliveries_kick, robust=True)
    return count


def subscription_test(*, subscription: Subscription) -> tuple[bytes, sender.Answer]:
    """Send a made-up event now: (the body sent, the receiver's answer). Nothing stored."""
    body = test_payload(now=timezone.now())
    headers = signed_headers(
        secret=subscription.secrets,
        msg_id=f"msg_dlrdash_test_{int(time.time() * 1000)}",
        timestamp=int(time.time()),
        body=body,
    )
    return body, sender.post(url=subscription.url, body=body, headers=headers)


def subscription_secret_generate() -> str:
    """A new Standard Webhooks secret (`whsec_` + base64), as the alerts app makes them."""
    return webhook_secret_generate()


def deliveries_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Retention: delivered and dead-lettered deliveries older than RETENTION_DELIVERY_DAYS,
    and every delivery of a deleted subscription, with their attempts, in batches."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DELIVERY_DAYS)
    live = Subscription.objects.values_list("pk", flat=True)
    old = Q(created_at__lt=cutoff) & ~Q(state=Delivery.State.PENDING)
    doomed = Delivery.objects.filter(old | ~Q(subscription_id__in=live))
    total = 0
    while ids := list(doomed.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            total += Delivery.objects.filter(pk__in=ids)._raw_delete(Delivery.objects.db)
        if len(ids) < batch_size:
            break
    return total
