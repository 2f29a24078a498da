"""Why is it still Sent? What is known about a message without a final report.

One plain sentence first, then the figures behind it: how long this route (provider ×
operator × channel) usually takes to report, how often it reports at all, whether the
provider's endpoint has sent anything since the message went out, and when the message will
count as "no DLR". Route figures come from the rollups of the last `ROUTE_DAYS` days.

The endpoint's health and the forwarding deadlines live in apps that depend on deliveries
(webhooks, forwarding), so they are read there and passed in (`OutsideFacts`); the message
page gets them through `settings.MESSAGE_PENDING_FACTS`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from . import status as st
from .analytics import delivery_stats
from .models import Message
from .slices import Slice

ROUTE_DAYS = 7
# Below this share of final reports, a route "often sends none".
LOW_COVERAGE = 0.8
# Fewer delivered messages than this with a latency, and the route's usual wait is unknown.
MIN_ROUTE_DELIVERED = 20


@dataclass(frozen=True)
class OutsideFacts:
    """Read by apps deliveries may not import, for one message."""

    # The newest report any active endpoint of the message's provider received, and
    # whether the provider has an endpoint at all.
    endpoint_last_received_at: datetime | None = None
    has_endpoint: bool = False
    # The earliest `message.no_dlr` a forwarding subscription will send for it.
    forwarding_no_dlr_at: datetime | None = None


@dataclass(frozen=True)
class PendingExplanation:
    sentence: str
    waited: timedelta
    route: str
    route_sent: int
    latency_p50: float | None
    latency_p95: float | None
    coverage: float | None
    facts: OutsideFacts
    endpoint_quiet_since_submit: bool | None  # None: no endpoint to ask
    no_dlr_at: datetime | None  # the dashboard's "no DLR": past the channel's validity


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def message_pending_explain(
    *, message: Message, now: datetime, facts: OutsideFacts | None = None
) -> PendingExplanation | None:
    """The explanation for a message still pending; None once it has a final status."""
    if st.info(message.status).final:
        return None
    facts = facts or OutsideFacts()
    start = message.submitted_at or message.created_at
    waited = max(now - start, timedelta(0))
    route_slice = Slice(
        since=now - timedelta(days=ROUTE_DAYS),
        until=now,
        provider=message.provider,
        channel=message.channel,
        operator=message.operator or None,
    )
    figures = delivery_stats(slice=route_slice, now=now).totals
    known = sum(figures.latency_histogram.values()) >= MIN_ROUTE_DELIVERED
    p50 = figures.latency_p50 if known else None
    p95 = figures.latency_p95 if known else None
    quiet: bool | None = None
    if facts.has_endpoint:
        last = facts.endpoint_last_received_at
        quiet = last is None or last < start
    hours = settings.DLR_VALIDITY_HOURS.get(message.channel)
    no_dlr_at = start + timedelta(hours=hours) if hours else None
    route = " · ".join(p for p in (message.provider, message.operator, message.channel) if p)
    sentence = _sentence(
        message=message,
        waited=waited,
        p50=p50,
        p95=p95,
        coverage=figures.dlr_coverage if figures.sent else None,
        quiet=quiet,
        no_dlr_at=no_dlr_at,
        now=now,
    )
    return PendingExplanation(
        sentence=sentence,
        waited=waited,
        route=route,
        route_sent=figures.sent,
        latency_p50=p50,
        latency_p95=p95,
        coverage=figures.dlr_coverage if figures.sent else None,
        facts=facts,
        endpoint_quiet_since_submit=quiet,
        no_dlr_at=no_dlr_at,
    )


def _sentence(
    *,
    message: Message,
    waited: timedelta,
    p50: float | None,
    p95: float | None,
    coverage: float | None,
    quiet: bool | None,
    no_dlr_at: datetime | None,
    now: datetime,
) -> str:
    """The first reason that applies, in the order a support person would check them."""
    seconds = waited.total_seconds()
    age = _human(seconds)
    provider = message.provider
    if no_dlr_at is not None and now >= no_dlr_at:
        return (
            f"No report came within the {message.get_channel_display()} validity window: "
            f"after {age} this message counts as “no DLR”, and a report is unlikely now."
        )
    if quiet:
        return (
            f"{provider} has sent no reports at all since this message went out {age} ago, "
            "so the delay is probably on the provider's side, not this message's."
        )
    if p95 is not None and seconds <= p95:
        return (
            f"Still within the usual wait: this route reports 95 % of its deliveries within "
            f"{_human(p95)}, and this message went out {age} ago."
        )
    if coverage is not None and coverage < LOW_COVERAGE:
        return (
            f"This route often sends no final report at all (only {coverage:.0%} of its "
            f"messages get one), so after {age} this one may never come."
        )
    if p95 is not None:
        return (
            f"Later than usual: this route reports 95 % of its deliveries within "
            f"{_human(p95)}, it has been {age}, and {provider} is still sending other reports."
        )
    return (
        f"No final report yet after {age}; this route has too little recent traffic to say "
        "how long it usually takes."
    )
