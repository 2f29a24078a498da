"""A claimed inbox event's state: the outcome its reports give it, retries with backoff
when applying fails, and writing a batch's states back."""

import logging
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from operator import attrgetter

from django.conf import settings
from django.utils import timezone

from deliveries import status as st
from deliveries.bulk import rows_set
from deliveries.models import StatusEvent
from deliveries.reports import DeliveryReport
from deliveries.services import report_dedup_key

from .models import InboundEvent
from .providers.storable import text_storable

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ClaimedEvent:
    """A claimed inbound event: what processing reads, and the state it writes back."""

    pk: int
    endpoint_id: int
    method: str
    headers: dict[str, str]
    query_string: str
    body: bytes | memoryview
    state: str
    outcome: str
    error: str
    report_count: int
    attempts: int
    next_attempt_at: datetime | None
    processed_at: datetime | None
    processing_ms: float | None


CLAIMED_FIELDS = tuple(field.name for field in fields(ClaimedEvent))


_EVENT_STATE_FIELDS = (
    "state",
    "outcome",
    "error",
    "report_count",
    "attempts",
    "next_attempt_at",
    "processed_at",
    "processing_ms",
)


event_state = attrgetter(*_EVENT_STATE_FIELDS)  # event -> the tuple of its state fields


def event_state_restore(event: ClaimedEvent, state: tuple[object, ...]) -> None:
    for name, value in zip(_EVENT_STATE_FIELDS, state, strict=True):
        setattr(event, name, value)


def events_save(events: list[ClaimedEvent], started: float) -> None:
    """One UPDATE per distinct set of values: a batch's events mostly share theirs (done,
    applied, one report), so this is two or three statements, not a 4,000-value one."""
    # Batch time shared out: what one event cost, for the log and the metrics.
    processing_ms = (time.perf_counter() - started) * 1000 / len(events)
    finished = timezone.now()
    groups: dict[tuple[object, ...], list[int]] = {}
    for event in events:
        event.processing_ms = processing_ms
        event.error = text_storable(event.error)  # it may quote what the provider sent
        if event.state == InboundEvent.State.DONE:
            event.processed_at = finished
        groups.setdefault(event_state(event), []).append(event.pk)
    for values, ids in groups.items():
        rows_set(InboundEvent, ids, dict(zip(_EVENT_STATE_FIELDS, values, strict=True)))


def outcomes_own(
    items: list[tuple[DeliveryReport, int]], outcomes: list[st.Outcome]
) -> list[st.Outcome]:
    """Duplicates of a report recorded *from the same event* keep that first outcome.

    Reprocessing an event re-applies reports it already delivered; they come back as
    duplicates, but the event did apply them, so its outcome must not turn "duplicate".
    A retry of the provider is another event and stays a duplicate.
    """
    keys = {
        report_dedup_key(report)
        for (report, _), outcome in zip(items, outcomes, strict=True)
        if outcome is st.Outcome.DUPLICATE
    }
    if not keys:
        return outcomes
    recorded = {
        key: (event_id, outcome)
        for key, event_id, outcome in StatusEvent.objects.filter(dedup_key__in=keys).values_list(
            "dedup_key", "inbound_event_id", "outcome"
        )
    }
    own: list[st.Outcome] = []
    for (report, event_id), outcome in zip(items, outcomes, strict=True):
        first = recorded.get(report_dedup_key(report)) if outcome is st.Outcome.DUPLICATE else None
        own.append(st.Outcome(first[1]) if first and first[0] == event_id else outcome)
    return own


def event_outcome(outcomes: list[st.Outcome]) -> InboundEvent.Outcome:
    if not outcomes:
        return InboundEvent.Outcome.ORPHAN
    if any(o in (st.Outcome.APPLIED, st.Outcome.RECORDED) for o in outcomes):
        return InboundEvent.Outcome.APPLIED
    if st.Outcome.OUT_OF_ORDER in outcomes:
        return InboundEvent.Outcome.OUT_OF_ORDER
    return InboundEvent.Outcome.DUPLICATE


def event_finish(event: ClaimedEvent, outcome: InboundEvent.Outcome) -> None:
    event.state = InboundEvent.State.DONE
    event.outcome = outcome
    event.next_attempt_at = None  # processed_at: when the batch is saved


def event_fail(event: ClaimedEvent, exc: Exception) -> None:
    logger.error(
        "event %s: apply failed (attempt %d): %s",
        event.pk,
        event.attempts + 1,
        exc,
        extra={"inbound_event": event.pk, "attempt": event.attempts + 1},
    )
    event.attempts += 1
    event.error = f"{type(exc).__name__}: {exc}"[:2000]
    event.outcome = InboundEvent.Outcome.ERROR
    if event.attempts >= settings.INBOX_MAX_ATTEMPTS:
        event.state = InboundEvent.State.FAILED
        event.next_attempt_at = None
    else:
        event.next_attempt_at = timezone.now() + _backoff(event.attempts)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))
