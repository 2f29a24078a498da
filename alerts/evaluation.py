"""What a rule measures now: selectors only, no writes.

Windows and baselines (see also docs in the module's functions):

- The **window** is the last `window_minutes` (≤ 6 h) before `now`, counted from `Message`
  rows created in it (a range on the `created_at` index, narrowed by the segment): the hourly
  rollups cannot split an hour, and a 30-minute collapse would be diluted by the healthy half
  of its hour. Only final reports count (delivered or failed); messages still pending are left
  out, so a slow DLR never reads as a failure.
- The **baseline** is the `baseline_days` before the hour the window starts in, read from the
  rollups (whole hours, so it never overlaps the window); while an alert is open it ends
  before the hour that alert's window started in, so the incident is not its own baseline.
  Rules on a DLT template read the baseline from `Message` too (the template is not a rollup
  column): a range on the same index, so keep their `baseline_days` short.
- The **volume guard**: the window and the baseline must each hold `min_volume` final reports,
  or the rule does not judge (no fire, no resolve).
- The **threshold** is `threshold_points` percentage points, or `threshold_sigmas` standard
  deviations of the baseline's hourly values (hours with at least 20 final reports).
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncHour

from deliveries import status as st
from deliveries.models import DeliveryRollup, Message
from deliveries.reports import Environment
from deliveries.rollups import hour_of
from deliveries.trust import routes_trust

from .links import rule_slice
from .models import AlertRule

FINAL = sorted(st.DELIVERED_STATUSES | st.FAILED_STATUSES)
# Hours with fewer final reports than this are too noisy to enter the standard deviation.
SIGMA_MIN_HOURLY = 20


@dataclass(frozen=True)
class Measurement:
    since: datetime
    until: datetime
    breached: bool  # fire, if no alert is open
    cleared: bool  # resolve, if one is open; neither when the guard says "not enough data"
    summary: str
    observed: float | None = None  # percent
    baseline: float | None = None  # percent
    volume: int = 0


@dataclass(frozen=True)
class Tally:
    """Final reports (`volume`) and those that count for the rule (`hits`): delivered ones
    for a rate drop, ones failed with the rule's error code for a spike."""

    hits: int = 0
    volume: int = 0

    @property
    def percent(self) -> float | None:
        return 100.0 * self.hits / self.volume if self.volume else None


def rule_measure(
    rule: AlertRule, *, now: datetime, episode_since: datetime | None = None
) -> Measurement:
    """`episode_since`: where the open alert's window began. The baseline then ends before
    it, so an incident never drags its own baseline down and recovery is judged against the
    traffic before it."""
    if rule.kind == AlertRule.Kind.NO_DLR:
        return _silence_measure(rule, now=now)
    if rule.kind == AlertRule.Kind.FORWARDING:
        return _forwarding_measure(rule, now=now)
    if rule.kind == AlertRule.Kind.DLR_TRUST:
        return _trust_measure(rule, now=now)
    return _share_measure(rule, now=now, episode_since=episode_since)


def _segment(rule: AlertRule, since: datetime, until: datetime) -> Q:
    """The rule's campaign, provider, channel and operator: the dashboard slice's filters."""
    return rule_slice(rule, since=since, until=until).segment()


def _is_hit(rule: AlertRule, status: str, error_code: str) -> bool:
    if rule.kind == AlertRule.Kind.ERROR_SPIKE:
        return status in st.FAILED_STATUSES and error_code == rule.error_code
    return status in st.DELIVERED_STATUSES


def _messages(rule: AlertRule, since: datetime, until: datetime) -> QuerySet[Message]:
    # created_at is indexed; the segment narrows the range further.
    # Sandbox traffic is kept out, as the rollups keep it out of the baseline.
    q = _segment(rule, since, until) & Q(
        created_at__gte=since,
        created_at__lt=until,
        status__in=FINAL,
        environment=Environment.LIVE,
    )
    if rule.dlt_template_id:
        q &= Q(dlt_template_id=rule.dlt_template_id)
    return Message.objects.filter(q).order_by()


def _hourly_from_messages(
    rule: AlertRule, since: datetime, until: datetime
) -> dict[datetime, Tally]:
    # Counted in the database per hour × status × code: a few hundred rows for a week.
    rows = (
        _messages(rule, since, until)
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values_list("hour", "status", "error_code")
        .annotate(n=Count("id"))
    )
    counts: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for hour, status, error_code, n in rows:
        cell = counts[hour]
        cell[0] += n if _is_hit(rule, status, error_code) else 0
        cell[1] += n
    return {hour: Tally(hits, volume) for hour, (hits, volume) in counts.items()}


def _hourly_from_rollups(
    rule: AlertRule, since: datetime, until: datetime
) -> dict[datetime, Tally]:
    cells = (
        DeliveryRollup.objects.filter(
            _segment(rule, since, until), bucket__gte=since, bucket__lt=until, status__in=FINAL
        )
        .order_by()
        .values_list("bucket", "status", "error_code")
        .annotate(n=Sum("messages"))
    )
    counts: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for bucket, status, error_code, n in cells:
        cell = counts[bucket]
        cell[0] += n if _is_hit(rule, status, error_code) else 0
        cell[1] += n
    return {hour: Tally(hits, volume) for hour, (hits, volume) in counts.items()}


def _window(rule: AlertRule, since: datetime, until: datetime) -> Tally:
    rows = _messages(rule, since, until).values_list("status", "error_code").annotate(n=Count("id"))
    hits = volume = 0
    for status, error_code, n in rows:
        hits += n if _is_hit(rule, status, error_code) else 0
        volume += n
    return Tally(hits, volume)


def _total(hours: Iterable[Tally]) -> Tally:
    hours = list(hours)
    return Tally(sum(h.hits for h in hours), sum(h.volume for h in hours))


def _stdev(hours: Iterable[Tally]) -> float:
    values = [t.percent for t in hours if t.volume >= SIGMA_MIN_HOURLY and t.percent is not None]
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _share_measure(
    rule: AlertRule, *, now: datetime, episode_since: datetime | None
) -> Measurement:
    since, until = now - timedelta(minutes=rule.window_minutes), now
    base_until = hour_of(min(since, episode_since or since))
    base_since = base_until - timedelta(days=rule.baseline_days)
    read = _hourly_from_messages if rule.dlt_template_id else _hourly_from_rollups
    hours = read(rule, base_since, base_until)
    window, base = _window(rule, since, until), _total(hours.values())
    what = "error share" if rule.kind == AlertRule.Kind.ERROR_SPIKE else "delivery rate"
    if window.volume < rule.min_volume or base.volume < rule.min_volume:
        summary = (
            f"Not enough traffic to judge: {window.volume} final reports in the window, "
            f"{base.volume} in the baseline (minimum {rule.min_volume})."
        )
        return Measurement(since, until, False, False, summary, volume=window.volume)
    observed, baseline = window.percent or 0.0, base.percent or 0.0
    # A rate alert looks for a fall, an error spike for a rise.
    gap = observed - baseline if rule.kind == AlertRule.Kind.ERROR_SPIKE else baseline - observed
    threshold = rule.threshold_points
    if rule.threshold_sigmas:
        threshold = max(rule.threshold_sigmas * _stdev(hours.values()), 1.0)
    summary = (
        f"{rule.name}: {what} {observed:.1f} % over the last {rule.window_minutes} min "
        f"({window.volume} final reports) against {baseline:.1f} % over the previous "
        f"{rule.baseline_days} days (threshold {threshold:.1f} points)."
    )
    return Measurement(
        since,
        until,
        breached=gap >= threshold,
        cleared=gap < threshold - rule.resolve_margin_points,
        summary=summary,
        observed=observed,
        baseline=baseline,
        volume=window.volume,
    )


def _silence_measure(rule: AlertRule, *, now: datetime) -> Measurement:
    since = now - timedelta(minutes=rule.window_minutes)
    endpoint = rule.endpoint
    if endpoint is None:
        return Measurement(since, now, False, False, "No endpoint chosen.")
    # An endpoint that never received counts from its creation, so a new one is not "silent".
    last = endpoint.last_received_at or endpoint.created_at
    silent = last < since
    if silent:
        minutes = int((now - last).total_seconds() // 60)
        summary = f"{rule.name}: nothing received on endpoint {endpoint.slug} for {minutes} min."
    else:
        summary = f"{rule.name}: endpoint {endpoint.slug} is receiving again."
    return Measurement(min(last, since), now, breached=silent, cleared=not silent, summary=summary)


def _forwarding_measure(rule: AlertRule, *, now: datetime) -> Measurement:
    """Breached while an active subscription's receiver has failed every attempt for the
    rule's window (a success clears its failing_since)."""
    from forwarding.selectors import subscriptions_failing

    since = now - timedelta(minutes=rule.window_minutes)
    failing = subscriptions_failing(since=since)
    if failing:
        names = ", ".join(f"{s.name} (since {s.failing_since:%H:%M} UTC)" for s in failing[:5])
        summary = f"{rule.name}: forwarding failing for {rule.window_minutes} min: {names}."
    else:
        summary = f"{rule.name}: every subscription's receiver is taking deliveries."
    return Measurement(since, now, breached=bool(failing), cleared=not failing, summary=summary)


def _trust_measure(rule: AlertRule, *, now: datetime) -> Measurement:
    """Breached while a route of the segment is suspect (`deliveries.trust`): its delivered
    messages convert worse than its peers' by more than `threshold_points`, at 95 %
    confidence, over the window rounded out to whole hours (the rollups' grain). Routes and
    peers need `min_volume` delivered messages; with none judged the rule does not judge."""
    since = hour_of(now - timedelta(minutes=rule.window_minutes))
    routes = routes_trust(
        slice=rule_slice(rule, since=since, until=now),
        min_delivered=rule.min_volume,
        margin=rule.threshold_points / 100,
    )
    suspect = [r for r in routes if r.suspect]
    judged = [r for r in routes if r.judged]
    if suspect:
        worst = suspect[0]
        names = ", ".join(f"{r.provider}/{r.operator or '?'}/{r.channel}" for r in suspect[:5])
        summary = (
            f"{rule.name}: suspect delivery reports on {names}: {worst.provider}'s delivered "
            f"messages converted {100 * (worst.rate or 0):.1f} % against "
            f"{100 * (worst.peer_rate or 0):.1f} % through other providers."
        )
        return Measurement(
            since,
            now,
            breached=True,
            cleared=False,
            summary=summary,
            observed=100 * (worst.rate or 0),
            baseline=100 * (worst.peer_rate or 0),
            volume=worst.delivered,
        )
    if not judged:
        summary = f"{rule.name}: not enough delivered traffic with conversion feedback to judge."
        return Measurement(since, now, False, False, summary)
    summary = f"{rule.name}: every judged route's deliveries convert like its peers'."
    return Measurement(since, now, breached=False, cleared=True, summary=summary)
