"""Sending the outbox: claim due deliveries in batches, send them, record what happened.

A batch is claimed in a short transaction (`FOR UPDATE SKIP LOCKED`, so workers never
claim the same row) that moves the rows' due time past CLAIM_SECONDS; the requests are
sent outside any transaction; the results are written in a second short one. A worker
killed mid-send leaves its rows to come due again: they are sent again with the same
`webhook-id` (delivery is at least once).

Per target, a failed attempt stops the rest of that subscription's batch (they are left
due, unattempted) and pauses the subscription with the same backoff as a delivery, so a
receiver that is down costs one attempt per pause rather than one per notification. A
delivery failing past its `expires_at` is dead-lettered; `410 Gone` disables the
subscription.
"""

import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.signing import signed_headers
from deliveries.bulk import rows_insert, rows_set, rows_update

from . import sender
from .metrics import ATTEMPTS, DEAD_LETTERED, SEND_SECONDS
from .models import Delivery, DeliveryAttempt, Subscription, webhook_id_of
from .payload import payloads_build

logger = logging.getLogger(__name__)

# How long a claim lasts: longer than a batch can take (requests time out after 10 s, and a
# failure stops the rest of its target's batch).
CLAIM_SECONDS = 60
_random = random.Random()
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base × 2^(n−1), capped, then between half and all
    of it, so receivers coming back are not met by every delivery at once."""
    base = settings.FORWARDING_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    ceiling = min(base, settings.FORWARDING_RETRY_MAX_SECONDS)
    return timedelta(seconds=ceiling * (0.5 + _random.random() / 2))


def deliveries_drain(*, now: datetime | None = None, max_batches: int = 1000) -> int:
    """Send due deliveries batch after batch until none is due; returns how many were sent
    (attempted). `now` fixes the clock (tests); by default each batch reads it afresh."""
    total = 0
    for _ in range(max_batches):
        attempted, claimed = deliveries_send_batch(now=now)
        total += attempted
        if claimed < settings.FORWARDING_BATCH_SIZE:
            break
    return total


def deliveries_send_batch(*, now: datetime | None = None) -> tuple[int, int]:
    """Claim, send and record one batch. Returns (attempted, claimed)."""
    now = now or timezone.now()
    claimed, subscriptions = _claim(now)
    if not claimed:
        return 0, 0
    started = time.perf_counter()
    # Claimed after their retry window (a subscription disabled for days): never sent.
    live = [d for d in claimed if d.expires_at > now]
    expired = [d for d in claimed if d.expires_at <= now]
    answers = _send_all(live, subscriptions)
    _record(live, answers, expired, subscriptions, now)
    SEND_SECONDS.observe(time.perf_counter() - started)
    return sum(1 for a in answers.values() if a is not None), len(claimed)


@dataclass(slots=True)
class Claimed:
    """A claimed delivery: what sending reads (rows, not model instances: instances were a
    large share of a batch's CPU)."""

    pk: int
    subscription_id: int
    message_id: int
    event_type: str
    status: str
    previous_status: str
    provider_status: str
    provider_code: str
    error_code: str
    error_message: str
    provider_time: datetime | None
    occurred_at: datetime
    attempts: int
    next_attempt_at: datetime
    expires_at: datetime
    last_status_code: int | None
    last_error: str

    @property
    def webhook_id(self) -> str:
        return webhook_id_of(self.pk)


_CLAIMED_FIELDS = ("id", *[f.name for f in fields(Claimed)][1:])


def _claim(now: datetime) -> tuple[list[Claimed], dict[int, Subscription]]:
    subscriptions = {
        s.pk: s
        for s in Subscription.objects.filter(active=True).filter(
            Q(paused_until__isnull=True) | Q(paused_until__lte=now)
        )
    }
    if not subscriptions:  # no transaction at all (SQLite would take its write lock)
        return [], subscriptions
    limit = settings.FORWARDING_BATCH_SIZE
    claimed: list[Claimed] = []
    with transaction.atomic():
        for pk in subscriptions:
            if len(claimed) >= limit:
                break
            due = (
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(subscription_id=pk, state=Delivery.State.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at")
            )
            rows = due.values_list(*_CLAIMED_FIELDS)[: limit - len(claimed)]
            claimed += [Claimed(*row) for row in rows]
        if claimed:
            until = now + timedelta(seconds=CLAIM_SECONDS)
            rows_set(Delivery, [d.pk for d in claimed], {"next_attempt_at": until})
    return claimed, subscriptions


def _send_all(
    deliveries: Sequence[Claimed], subscriptions: dict[int, Subscription]
) -> dict[int, sender.Answer | None]:
    """Send concurrently (bounded per target by the sender's pools). None: not attempted,
    because an earlier attempt to the same subscription in this batch failed."""
    phones = {pk for pk, s in subscriptions.items() if s.include_phone_numbers}
    bodies = payloads_build(deliveries, phone_numbers=phones)
    broken: set[int] = set()
    # Waiting for a turn here rather than inside the sender: a delivery queued behind
    # requests that fail sees the failure before it is sent.
    size = settings.FORWARDING_TARGET_CONCURRENCY
    turns = {pk: threading.BoundedSemaphore(size) for pk in subscriptions}

    def send(delivery: Claimed) -> sender.Answer | None:
        with turns[delivery.subscription_id]:
            return send_in_turn(delivery)

    def send_in_turn(delivery: Claimed) -> sender.Answer | None:
        if delivery.subscription_id in broken:
            return None
        subscription = subscriptions[delivery.subscription_id]
        body = bodies[delivery.pk]
        headers = signed_headers(
            secret=subscription.secrets,
            msg_id=webhook_id_of(delivery.pk),
            timestamp=int(time.time()),  # the receiver's clock checks this, not `now`
            body=body,
        )
        answer = sender.post(url=subscription.url, body=body, headers=headers)
        if not answer.ok:
            broken.add(delivery.subscription_id)
        return answer

    results = _pool().map(send, deliveries)
    return {d.pk: answer for d, answer in zip(deliveries, results, strict=True)}


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                # Enough for a few targets at their bound; more threads would only wait.
                workers = 4 * settings.FORWARDING_TARGET_CONCURRENCY
                _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="forwarding")
    return _executor


def _record(
    deliveries: Sequence[Claimed],
    answers: dict[int, sender.Answer | None],
    expired: Sequence[Claimed],
    subscriptions: dict[int, Subscription],
    now: datetime,
) -> None:
    attempts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    outcome: dict[int, bool] = {}  # subscription id -> any success (False: failures only)
    gone: set[int] = set()
    for delivery in deliveries:
        answer = answers[delivery.pk]
        if answer is None:  # left for when the subscription's pause ends
            updates.append(_update(delivery, next_attempt_at=now))
            continue
        delivery.attempts += 1
        sub = delivery.subscription_id
        outcome[sub] = outcome.get(sub, False) or answer.ok
        if answer.ok:
            result, due = "delivered", None
            updates.append(_update(delivery, state="delivered", delivered_at=now, answer=answer))
        elif now >= delivery.expires_at:
            result, due = "dead_lettered", None
            DEAD_LETTERED.inc()
            updates.append(_update(delivery, state="failed", answer=answer))
        else:
            result, due = (
                ("refused" if answer.refused else "failed"),
                now + retry_delay(delivery.attempts),
            )
            updates.append(_update(delivery, next_attempt_at=due, answer=answer))
        if answer.status == 410:
            gone.add(sub)
            result = "gone"
        ATTEMPTS.labels(result).inc()
        attempts.append(_attempt(delivery, answer, now, due))
    for delivery in expired:
        DEAD_LETTERED.inc()
        delivery.last_error = "retry window over before it could be sent"
        updates.append(_update(delivery, state="failed"))
    with transaction.atomic():
        rows_insert(DeliveryAttempt, _ATTEMPT_COLUMNS, attempts)
        rows_update(Delivery, _UPDATE_COLUMNS, updates)
        for pk, succeeded in outcome.items():
            _subscription_health(subscriptions[pk], succeeded=succeeded, gone=pk in gone, now=now)


_UPDATE_COLUMNS = (
    "id",
    "state",
    "attempts",
    "next_attempt_at",
    "delivered_at",
    "last_status_code",
    "last_error",
)
_ATTEMPT_COLUMNS = (
    "delivery_id",
    "subscription_id",
    "attempted_at",
    "status_code",
    "latency_ms",
    "response",
    "error",
    "next_attempt_at",
)


def _update(
    delivery: Claimed,
    *,
    state: str = "pending",
    next_attempt_at: datetime | None = None,
    delivered_at: datetime | None = None,
    answer: sender.Answer | None = None,
) -> tuple[Any, ...]:
    error = delivery.last_error
    if answer is not None:
        error = answer.error or ("" if answer.ok else _excerpt(answer)[:200])
    return (
        delivery.pk,
        state,
        delivery.attempts,
        next_attempt_at or delivery.next_attempt_at,
        delivered_at,
        answer.status if answer is not None else delivery.last_status_code,
        error[:500],
    )


def _attempt(
    delivery: Claimed, answer: sender.Answer, now: datetime, due: datetime | None
) -> tuple[Any, ...]:
    return (
        delivery.pk,
        delivery.subscription_id,
        now,
        answer.status,
        answer.latency_ms,
        _excerpt(answer),
        answer.error[:500],
        due,
    )


def _excerpt(answer: sender.Answer) -> str:
    return answer.excerpt.decode("utf-8", errors="replace").replace("\x00", "")


def _subscription_health(
    subscription: Subscription, *, succeeded: bool, gone: bool, now: datetime
) -> None:
    """Success closes the circuit; a failure (re)opens it for a growing pause."""
    changes: dict[str, Any] = {}
    if gone:
        changes = {
            "active": False,
            "disabled_reason": f"the receiver answered 410 Gone at {now:%Y-%m-%d %H:%M:%S} UTC",
        }
        logger.warning("subscription %s disabled: its receiver answered 410", subscription.pk)
    if succeeded:
        if subscription.failing_since or subscription.paused_until:
            changes |= {"failing_since": None, "consecutive_failures": 0, "paused_until": None}
    else:
        if subscription.failing_since is None:
            _failing_alert_rule_ensure()
        failures = subscription.consecutive_failures + 1
        changes |= {
            "failing_since": subscription.failing_since or now,
            "consecutive_failures": failures,
            "paused_until": now + retry_delay(failures),
        }
    if changes:
        Subscription.objects.filter(pk=subscription.pk).update(**changes)


def _failing_alert_rule_ensure() -> None:
    """The alerts app raises an alert when a receiver has failed for an hour: its rule is
    made the first time any receiver fails, so nobody has to set it up (recipients can be
    added to it in the admin)."""
    from alerts.models import AlertRule

    AlertRule.objects.get_or_create(
        kind=AlertRule.Kind.FORWARDING,
        defaults={"name": "Forwarding target failing for an hour", "window_minutes": 60},
    )
