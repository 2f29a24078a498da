"""No-DLR deadlines: `message.no_dlr` once a message has gone `no_dlr_seconds` after its
submission without a final report.

No timer per message: a periodic scan (every FORWARDING_TICK_SECONDS) reads, per
subscription, the pending messages whose submission time (`submitted_at`, else
`created_at`) fell between its watermark and `now − no_dlr_seconds`, from the partial
index `message_pending` — ordered by submission time, so by deadline — and moves the
watermark past them. Pending messages only: one that got a final report is not in the
index any more.

Each chunk reserves its messages as the apply path does (`messages_reserve`): a message
another transaction is applying reports to right now is left for the next scan (the
watermark stops before it), so a final report and its no_dlr never cross — the no_dlr
reads the status the final left, or the final comes after it with a higher sequence.
A message whose first report arrives after its deadline is handled where the report is
applied (`forwarding.outbox`).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from deliveries import status as st
from deliveries.bulk_messages import messages_reserve
from deliveries.models import Message
from deliveries.reports import Channel

from .metrics import NO_DLR_FIRED
from .models import NO_DLR, Delivery, Subscription

# Messages per transaction: each holds an advisory lock until commit (PostgreSQL's lock
# table is shared by every session).
SCAN_CHUNK = 500
# The index's predicate, in its order: the planner proves the index usable from it.
_PENDING = sorted(st.PENDING_STATUSES)
_CHANNELS = [c.value for c in Channel]


def no_dlr_scan(*, now: datetime | None = None) -> int:
    """Fire every no-DLR deadline that has passed; returns how many notifications."""
    now = now or timezone.now()
    fired = 0
    subscriptions = Subscription.objects.filter(active=True, no_dlr_seconds__isnull=False)
    for pk in subscriptions.values_list("pk", flat=True):
        while True:
            count, more = _chunk_fire(pk, now)
            fired += count
            if not more:
                break
    NO_DLR_FIRED.inc(fired)
    return fired


def _chunk_fire(subscription_id: int, now: datetime) -> tuple[int, bool]:
    """One chunk of one subscription's due messages: (notifications written, more due)."""
    with transaction.atomic():
        # Locked, skipping: two scans at once (beat ticks overlapping) take turns.
        sub = (
            Subscription.objects.select_for_update(skip_locked=True)
            .filter(pk=subscription_id, active=True)
            .first()
        )
        if sub is None or not sub.no_dlr_seconds or NO_DLR not in sub.event_types:
            return 0, False
        deadline = timedelta(seconds=sub.no_dlr_seconds)
        since = sub.no_dlr_scanned_until or sub.created_at
        candidates = list(
            _due(sub, since, now - deadline).values_list(
                "pk", "provider", "message_id", "due_from"
            )[:SCAN_CHUNK]
        )
        if not candidates:
            return 0, False
        reserved = messages_reserve(keys={(c[1], c[2]) for c in candidates})
        # The watermark stops before the first message another transaction holds.
        taken = []
        for candidate in candidates:
            if (candidate[1], candidate[2]) not in reserved:
                break
            taken.append(candidate)
        # Read again under the reservation: a final report may have landed meanwhile.
        statuses = dict(
            Message.objects.filter(pk__in=[c[0] for c in taken], status__in=_PENDING).values_list(
                "pk", "status"
            )
        )
        rows = [
            Delivery(
                subscription_id=sub.pk,
                message_id=pk,
                event_type=NO_DLR,
                status=statuses[pk],
                occurred_at=due_from + deadline,
                next_attempt_at=now,
                created_at=now,
                expires_at=now + timedelta(hours=sub.retry_hours),
            )
            for pk, _, _, due_from in taken
            if pk in statuses
        ]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        if taken:
            Subscription.objects.filter(pk=sub.pk).update(
                no_dlr_scanned_until=taken[-1][3], no_dlr_scanned_id=taken[-1][0]
            )
    return len(rows), len(taken) == SCAN_CHUNK


def _due(sub: Subscription, since: datetime, until: datetime):  # type: ignore[no-untyped-def]
    """Pending messages of the subscription's filters submitted in (watermark, until],
    in (submission time, id) order."""
    after = Q(due_from__gt=since)
    if sub.no_dlr_scanned_until is not None:
        after |= Q(due_from=since, pk__gt=sub.no_dlr_scanned_id)
    messages = (
        Message.objects.annotate(due_from=Coalesce("submitted_at", "created_at"))
        .filter(status__in=_PENDING, channel__in=sub.channels or _CHANNELS)
        .filter(after, due_from__lte=until)
    )
    if sub.providers:
        messages = messages.filter(provider__in=sub.providers)
    if sub.campaigns:
        messages = messages.filter(campaign_id__in=sub.campaigns)
    if sub.client_ref_prefix:
        messages = messages.filter(client_ref__startswith=sub.client_ref_prefix)
    return messages.order_by("due_from", "pk")
