"""Writing the outbox: one `Delivery` row per status change and matching subscription.

`outbox_write` runs inside the transaction that applies the reports (the inbox drain calls
it with what `reports_apply(changes_into=…)` handed out), so a rolled-back batch leaves no
notification and a committed one loses none. It reads the active subscriptions once per
call and writes every row with one COPY; with no subscription it costs that one query.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from deliveries import status as st
from deliveries.bulk import rows_insert
from deliveries.changes import StatusChange

from .models import FINAL, NO_DLR, STATUS, Delivery, Subscription

# What a new outbox row holds, in `rows_insert` order.
COLUMNS = (
    "subscription_id",
    "message_id",
    "event_type",
    "status",
    "previous_status",
    "provider_status",
    "provider_code",
    "error_code",
    "error_message",
    "provider_time",
    "occurred_at",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
    "expires_at",
    "last_error",
)


@dataclass(frozen=True, slots=True)
class Matcher:
    """A subscription's filters as sets, checked for every change of a batch."""

    pk: int
    event_types: frozenset[str]
    providers: frozenset[str]
    channels: frozenset[str]
    campaigns: frozenset[int]
    statuses: frozenset[str]
    client_ref_prefix: str
    no_dlr_seconds: int | None
    retry_hours: int

    def matches(self, message: Any) -> bool:
        """The message filters (everything but status); `message` is a row or a Message."""
        get = message.get if isinstance(message, dict) else message.__dict__.get
        return (
            (not self.providers or get("provider") in self.providers)
            and (not self.channels or get("channel") in self.channels)
            and (not self.campaigns or get("campaign_id") in self.campaigns)
            and (
                not self.client_ref_prefix
                or (get("client_ref") or "").startswith(self.client_ref_prefix)
            )
        )

    def event_types_for(self, change: StatusChange) -> list[str]:
        if self.statuses and change.status not in self.statuses:
            return []
        wanted = [STATUS] if STATUS in self.event_types else []
        if change.first_final and FINAL in self.event_types:
            wanted.append(FINAL)
        return wanted


def matcher_of(subscription: Subscription) -> Matcher:
    return Matcher(
        pk=subscription.pk,
        event_types=frozenset(subscription.event_types),
        providers=frozenset(subscription.providers),
        channels=frozenset(subscription.channels),
        campaigns=frozenset(int(c) for c in subscription.campaigns),
        statuses=frozenset(subscription.statuses),
        client_ref_prefix=subscription.client_ref_prefix,
        no_dlr_seconds=subscription.no_dlr_seconds if NO_DLR in subscription.event_types else None,
        retry_hours=subscription.retry_hours,
    )


def matchers_active() -> list[Matcher]:
    return [matcher_of(s) for s in Subscription.objects.filter(active=True)]


def outbox_write(*, changes: Sequence[StatusChange], now: datetime | None = None) -> int:
    """Write the notifications `changes` owe to the active subscriptions; returns how many.

    Call it inside the transaction that made the changes. The rows are sent after commit
    (`forwarding.kicker`), and by the periodic drain if that kick is lost.
    """
    if not changes:
        return 0
    matchers = matchers_active()
    if not matchers:
        return 0
    now = now or changes[0].occurred_at
    rows: list[tuple[Any, ...]] = []
    late: list[Delivery] = []
    for change in changes:
        for matcher in matchers:
            if not matcher.matches(change.message):
                continue
            for event_type in matcher.event_types_for(change):
                rows.append(_row(matcher, change, event_type, now))
            if _deadline_passed(matcher, change, now):
                late.append(_no_dlr_late(matcher, change, now))
    rows_insert(Delivery, COLUMNS, rows)
    if late:
        # Rare, and it may meet a no_dlr the scan already wrote: not part of the COPY.
        Delivery.objects.bulk_create(late, ignore_conflicts=True)
    if rows or late:
        from .kicker import deliveries_kick

        transaction.on_commit(deliveries_kick, robust=True)
    return len(rows) + len(late)


def _row(matcher: Matcher, change: StatusChange, event_type: str, now: datetime) -> tuple[Any, ...]:
    report = change.report
    return (
        matcher.pk,
        change.message_pk,
        event_type,
        change.status,
        change.previous_status or "",
        report.provider_status[:64],
        report.provider_code[:64],
        report.error_code[:64],
        report.error_message[:500],
        report.event_time,
        change.occurred_at,
        Delivery.State.PENDING.value,
        0,
        now,
        now,
        now + timedelta(hours=matcher.retry_hours),
        "",
    )


def _deadline_passed(matcher: Matcher, change: StatusChange, now: datetime) -> bool:
    """A message whose first report arrives after its no-DLR deadline, without a final.

    The scan (`forwarding.deadlines`) never sees it: its submission time is already behind
    the scan's watermark when the message row appears.
    """
    if matcher.no_dlr_seconds is None or change.previous_status is not None:
        return False
    if st.is_final(change.status):
        return False
    message = change.message
    submitted = message["submitted_at"] or message["created_at"]
    return bool(submitted + timedelta(seconds=matcher.no_dlr_seconds) <= now)


def _no_dlr_late(matcher: Matcher, change: StatusChange, now: datetime) -> Delivery:
    message = change.message
    submitted = message["submitted_at"] or message["created_at"]
    return Delivery(
        subscription_id=matcher.pk,
        message_id=change.message_pk,
        event_type=NO_DLR,
        status=change.status,
        occurred_at=submitted + timedelta(seconds=matcher.no_dlr_seconds or 0),
        next_attempt_at=now,
        created_at=now,
        expires_at=now + timedelta(hours=matcher.retry_hours),
    )
