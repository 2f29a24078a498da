"""Sending digests: each subscription once per period, at its hour in its time zone, only
when its condition holds. Beat calls `digests_send_due` every minute."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .compose import Digest, digest_compose
from .models import DigestRun, DigestSubscription

# A send time missed by more than this (workers down) is not caught up: a stale digest
# helps nobody, and the next period's comes on time.
CATCH_UP = timedelta(hours=6)


def digest_period(sub: DigestSubscription, *, now: datetime) -> tuple[datetime, datetime]:
    """The latest period whose send time has passed, [since, until) in UTC: the day (or
    week) before the subscription's hour in its zone, on wall-clock time across DST."""
    local = now.astimezone(ZoneInfo(sub.time_zone))
    until = local.replace(hour=sub.hour, minute=0, second=0, microsecond=0)
    if sub.frequency == DigestSubscription.Frequency.WEEKLY:
        until -= timedelta(days=(local.weekday() - sub.weekday) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    if until > local:
        until -= step
    # Aware arithmetic keeps the wall clock: 08:00 stays 08:00 across a DST change.
    since = (until - step).astimezone(UTC)
    return since, until.astimezone(UTC)


def condition_holds(digest: Digest, condition: str) -> bool:
    Condition = DigestSubscription.Condition
    if condition == Condition.FAILURES:
        return digest.failed > 0
    if condition == Condition.NEEDS_ACTION:
        return digest.failed + digest.no_dlr > 0
    if condition == Condition.ALERTS:
        return bool(digest.alerts)
    return True


def digest_message(
    sub: DigestSubscription, digest: Digest, *, to: list[str]
) -> EmailMultiAlternatives:
    """The e-mail: a plain-text part and an HTML alternative, times in the subscriber's zone."""
    # The templates render every time in `zone` ({% timezone %}).
    context = {
        "digest": digest,
        "sub": sub,
        "user": sub.user,
        "since": digest.since,
        "until": digest.until,
        "zone": sub.time_zone,
        "actions": [(row, row.at) for row in digest.needs_action],
        "alerts": [(a, a.fired_at) for a in digest.alerts or []],
        "settings_link": settings.ALERTS_BASE_URL + reverse("digests:settings"),
    }
    label = sub.get_frequency_display()
    until = digest.until.astimezone(ZoneInfo(sub.time_zone))
    subject = (
        f"dlrdash {label.lower()} digest, {until:%d %b}: "
        f"{digest.failed} failed, {digest.no_dlr} no DLR"
    )
    text = render_to_string("digests/digest.txt", context)
    message = EmailMultiAlternatives(subject, text, settings.DIGESTS_FROM_EMAIL, to)
    message.attach_alternative(render_to_string("digests/digest.html", context), "text/html")
    return message


def digest_send(*, sub: DigestSubscription, now: datetime | None = None) -> str | None:
    """Send (or skip) the subscription's latest due period; the outcome, or None when that
    period was handled already, is not due yet, or is too old to catch up."""
    now = now or timezone.now()
    since, until = digest_period(sub, now=now)
    if until < sub.created_at or now - until > CATCH_UP:
        return None
    if DigestRun.objects.filter(subscription=sub, until=until).exists():
        return None
    digest = digest_compose(user=sub.user, since=since, until=until, now=now)
    outcome = DigestRun.Outcome.SENT
    if not sub.user.email:
        outcome = DigestRun.Outcome.NO_ADDRESS
    elif not (digest.sees_messages or digest.scorecard is not None):
        outcome = DigestRun.Outcome.SKIPPED  # nothing this user's role may read
    elif not condition_holds(digest, sub.condition):
        outcome = DigestRun.Outcome.SKIPPED
    try:
        with transaction.atomic():
            # The run is recorded first: a second sender (an overlapping beat tick) fails
            # on the unique constraint and sends nothing. A failed send rolls it back, so
            # the next tick tries again.
            DigestRun.objects.create(subscription=sub, since=since, until=until, outcome=outcome)
            if outcome == DigestRun.Outcome.SENT:
                digest_message(sub, digest, to=[sub.user.email]).send()
    except IntegrityError:
        return None
    return str(outcome)


def digests_send_due(*, now: datetime | None = None) -> int:
    """Every active subscription whose send time has come; returns how many were sent."""
    now = now or timezone.now()
    subs = DigestSubscription.objects.filter(active=True, user__is_active=True)
    sent = 0
    for sub in subs.select_related("user"):
        sent += digest_send(sub=sub, now=now) == DigestRun.Outcome.SENT
    return sent
