"""What a digest says, for one user and one period: reads only (rollups, a bounded list of
messages, the period's alerts), shaped by the user's role.

- Support and Administrators, and Campaign managers (whose dashboard lists them too): the
  messages needing action — failed ones and ones with no DLR past their validity window —
  with phone numbers masked unless the user may see them in full (`deliveries.masking`);
- Campaign managers and Administrators: the provider scorecard (delivery rate, conversion
  rate, latency, DLR coverage; cost once `settings.DIGEST_COSTS` names a source) and the
  alerts fired in the period.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.module_loading import import_string

from alerts.models import Alert
from deliveries import analytics
from deliveries import status as st
from deliveries.conversion_stats import conversion_stats
from deliveries.masking import phone_for
from deliveries.models import Message
from deliveries.roles import can_trace_messages, can_view_dashboard
from deliveries.slices import Slice

ACTION_LIMIT = 20
FAILED_WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class ActionRow:
    message: str  # provider:message id
    to: str  # masked per the user's role
    status: str
    error_code: str
    meaning: str
    at: datetime
    link: str


@dataclass(frozen=True)
class ScoreRow:
    provider: str
    sent: int
    delivery_rate: float | None
    conversion_rate: float | None  # None: no conversion feedback for this provider
    latency_p50: float | None
    latency_p95: float | None
    coverage: float | None
    cost: str | None


@dataclass
class Digest:
    since: datetime
    until: datetime
    sent: int = 0
    failed: int = 0
    no_dlr: int = 0
    needs_action: list[ActionRow] = field(default_factory=list)
    scorecard: list[ScoreRow] | None = None  # None: not for this user's role
    alerts: list[Alert] | None = None
    dashboard_link: str = ""
    has_costs: bool = False
    sees_messages: bool = False  # the user's role may see messages at all


def digest_compose(*, user: User, since: datetime, until: datetime, now: datetime) -> Digest:
    chosen = Slice(since=since, until=until)
    base = settings.ALERTS_BASE_URL
    digest = Digest(since=since, until=until, dashboard_link=base + chosen.dashboard_url())
    totals = analytics.delivery_stats(slice=chosen, now=now).totals
    digest.sent, digest.failed, digest.no_dlr = totals.sent, totals.failed, totals.no_dlr
    digest.sees_messages = can_trace_messages(user) or can_view_dashboard(user)
    if digest.sees_messages:
        digest.needs_action = _needs_action(user, chosen, now=now)
    if can_view_dashboard(user):
        costs = _costs(since, until)
        digest.has_costs = costs is not None
        digest.scorecard = _scorecard(chosen, costs or {}, now=now)
        fired = Alert.objects.filter(fired_at__gte=since, fired_at__lt=until)
        digest.alerts = list(fired.select_related("rule").order_by("fired_at")[:50])
    return digest


def _needs_action(user: User, chosen: Slice, *, now: datetime) -> list[ActionRow]:
    # Failed during the period; the created_at bound lets the status index serve it (a
    # message fails within days of its creation).
    failed = Message.objects.filter(
        status__in=sorted(st.FAILED_STATUSES),
        created_at__gte=chosen.since - FAILED_WITHIN,
        status_changed_at__gte=chosen.since,
        status_changed_at__lt=chosen.until,
    ).order_by("-status_changed_at")[:ACTION_LIMIT]
    stuck = analytics.messages_stuck(slice=chosen, now=now, limit=ACTION_LIMIT)
    found = sorted([*failed, *stuck], key=_when, reverse=True)[:ACTION_LIMIT]
    base = settings.ALERTS_BASE_URL
    return [
        ActionRow(
            message=f"{m.provider}:{m.message_id}",
            to=phone_for(user, m.to) if m.to else "—",
            status="no DLR" if m.status in st.PENDING_STATUSES else m.status,
            error_code=m.error_code,
            meaning=analytics.error_label(provider=m.provider, code=m.error_code)
            if m.error_code
            else "",
            at=_when(m),
            link=base + reverse("deliveries:trace-message", args=[m.pk]),
        )
        for m in found
    ]


def _when(message: Message) -> datetime:
    return message.status_changed_at or message.submitted_at or message.created_at


def _scorecard(chosen: Slice, costs: dict[str, str], *, now: datetime) -> list[ScoreRow]:
    providers = analytics.delivery_stats(slice=chosen, group_by="provider", now=now).groups
    conversion = conversion_stats(slice=chosen, group_bys=["provider"]).groups["provider"]
    converted = {g.key: g.figures for g in conversion}
    rows = []
    for group in providers:
        f = group.figures
        c = converted.get(group.key)
        rows.append(
            ScoreRow(
                provider=group.key,
                sent=f.sent,
                delivery_rate=f.delivery_rate,
                conversion_rate=c.conversion_rate if c else None,
                latency_p50=f.latency_p50,
                latency_p95=f.latency_p95,
                coverage=f.dlr_coverage,
                cost=costs.get(group.key),
            )
        )
    return rows


def _costs(since: datetime, until: datetime) -> dict[str, str] | None:
    """Each provider's cost over the period, from `settings.DIGEST_COSTS` once a cost source
    exists; None until then (the scorecard has no cost column)."""
    path = getattr(settings, "DIGEST_COSTS", "")
    if not path:
        return None
    source: Callable[[datetime, datetime], dict[str, str]] = import_string(path)
    return source(since, until)
