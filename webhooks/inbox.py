"""The inbox: claiming pending events in batches, applying their reports, and leaving
for later the events of messages another worker holds."""

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from urllib.parse import parse_qs

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deliveries import rollups
from deliveries.bulk_messages import MessageKey, messages_reserve
from deliveries.changes import StatusChange
from deliveries.reports import DeliveryReport, Environment
from deliveries.services import reports_apply
from forwarding.outbox import outbox_write

from .metrics import APPLY_SECONDS, EVENTS_DEFERRED, EVENTS_PROCESSED, REPORTS
from .models import InboundEvent, WebhookEndpoint
from .outcomes import (
    CLAIMED_FIELDS,
    ClaimedEvent,
    event_fail,
    event_finish,
    event_outcome,
    event_state,
    event_state_restore,
    events_save,
    outcomes_own,
)
from .providers import InboundRequest, ParseError
from .vocabulary import report_unmapped, unmapped_statuses_count

logger = logging.getLogger(__name__)


def inbox_drain(*, batch_size: int | None = None, max_batches: int = 1000) -> int:
    """Process pending events in batches until none is left. Returns how many."""
    return sum(islice(inbox_batches(batch_size=batch_size), max_batches))


def inbox_batches(*, batch_size: int | None = None) -> Iterator[int]:
    """Claim and apply batches until the inbox is drained; yields each batch's count.

    A batch leaves the events of a message another worker holds for later (see
    `_events_reserve`). The next claim passes over them, since that worker most likely
    still holds the message; a later one takes them and waits for their messages if it
    must: an event is left at most once by one drain. Each batch is committed before it
    is yielded.
    """
    batch_size = batch_size or settings.INBOX_BATCH_SIZE
    passed_over: set[int] = set()
    left_before: set[int] = set()
    while True:
        claimed, left = _batch_process(
            ids=None, limit=batch_size, skip=passed_over, wait_for=left_before
        )
        yield len(claimed) - len(left)
        # A short claim means the queue is empty, but for the events left or passed over.
        if len(claimed) < batch_size and not left and not passed_over:
            return
        left_before = (left_before - claimed) | left
        passed_over = left


def inbound_events_process(*, ids: Iterable[int] | None = None, limit: int = 500) -> int:
    """Claim up to `limit` pending events (skipping ones another worker holds) and apply them.

    Idempotent: an event already processed is not pending, and a report applied twice is
    a duplicate. Returns the number of events processed; events whose messages another
    worker holds are left pending for a later batch (see `_events_reserve`).
    """
    claimed, left = _batch_process(ids=ids, limit=limit, skip=set(), wait_for=None)
    return len(claimed) - len(left)


def _batch_process(
    *, ids: Iterable[int] | None, limit: int, skip: set[int], wait_for: set[int] | None
) -> tuple[set[int], set[int]]:
    """One batch, passing over `skip`: (ids claimed, ids left for later). See
    `_events_reserve` for `wait_for`."""
    now = timezone.now()
    with transaction.atomic():
        pending = (
            InboundEvent.objects.select_for_update(skip_locked=True)
            .filter(state=InboundEvent.State.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")
        )
        if ids is not None:
            pending = pending.filter(pk__in=list(ids))
        if skip:
            pending = pending.exclude(pk__in=skip)
        # Rows, not model instances: building a batch of instances showed in the drain's
        # profile (bench/README.md).
        events = [ClaimedEvent(*row) for row in pending.values_list(*CLAIMED_FIELDS)[:limit]]
        left = _events_apply(events, wait_for=wait_for) if events else set()
    return {event.pk for event in events}, left


def inbound_events_reprocess(*, events: Sequence[InboundEvent]) -> int:
    """Process events again (after a parser fix, say). Applying twice changes nothing."""
    ids = [e.pk for e in events if e.auth_ok]
    InboundEvent.objects.filter(pk__in=ids).update(
        state=InboundEvent.State.PENDING, attempts=0, next_attempt_at=None
    )
    return inbound_events_process(ids=ids, limit=max(len(ids), 1))


def _events_apply(events: list[ClaimedEvent], *, wait_for: set[int] | None) -> set[int]:
    """Parse, apply and save claimed events; returns the ids of those left for later."""
    started = time.perf_counter()
    endpoint_ids = {event.endpoint_id for event in events}
    endpoints = {e.pk: e for e in WebhookEndpoint.objects.filter(pk__in=endpoint_ids)}
    parsed: list[tuple[ClaimedEvent, list[DeliveryReport]]] = []
    for event in events:
        reports, error = _event_parse(event, endpoints[event.endpoint_id])
        event.error = error
        if reports is None:
            event_finish(event, InboundEvent.Outcome.UNPARSEABLE)
        else:
            parsed.append((event, reports))
    parsed, deferred = _events_reserve(parsed, wait_for=wait_for)
    if deferred:
        # Not written at all: the claim's row lock goes at commit and they are pending.
        events = [event for event in events if event.pk not in deferred]
        EVENTS_DEFERRED.inc(len(deferred))
        if not events:  # every one of them shares a message with another worker's batch
            return deferred
    before = [event_state(event) for event, _ in parsed]
    try:
        with transaction.atomic():
            changes: list[rollups.MessageChange] = []
            _parsed_apply(parsed, rollups_into=changes)
            events_save(events, started)
            # Last before the commit: every batch adds to the same few cells (this hour's
            # sent, delivered, …), so another worker's batch waits for them from here on.
            rollups.rollups_apply(changes)
            _unmapped_count(parsed)
    except Exception:
        # One poisonous event must not hold up the rest: retry them one at a time.
        logger.exception("batch apply failed; retrying %d events one by one", len(parsed))
        for (event, _), state in zip(parsed, before, strict=True):
            event_state_restore(event, state)
        applied = []
        for item in parsed:
            try:
                with transaction.atomic():
                    _parsed_apply([item], rollups_into=None)
                applied.append(item)
            except Exception as exc:
                event_fail(item[0], exc)
        events_save(events, started)
        _unmapped_count(applied)
    APPLY_SECONDS.observe(time.perf_counter() - started)
    # Counted per batch: a labels().inc() per event showed in the drain's profile.
    for outcome, count in Counter(event.outcome or "unknown" for event in events).items():
        EVENTS_PROCESSED.labels(outcome).inc(count)
    return deferred


def _events_reserve(
    parsed: list[tuple[ClaimedEvent, list[DeliveryReport]]], *, wait_for: set[int] | None
) -> tuple[list[tuple[ClaimedEvent, list[DeliveryReport]]], set[int]]:
    """Reserve the messages of the parsed events; return the events whose messages are all
    reserved, and the ids of those left for a later batch.

    Two workers' batches often share a few messages. Waiting for the other's commit idled a
    worker for most of a batch (bench: `Lock:transactionid` on the message upsert), so the
    events of a message another worker holds are left instead. The messages of the events
    in `wait_for` are waited for (a drain's events it left before); with None, those of the
    batch's oldest event, so that a one-off call applies at least that one: an event is
    then left at most until it is the oldest one pending, and a claim takes the oldest
    first. (Waiting for every batch's oldest event in a drain made the second worker wait
    for most of the first one's batch: the event after the first's claim often shares a
    message with it.)
    """
    if not parsed:
        return parsed, set()
    keys = [{(r.provider, r.message_id) for r in reports} for _, reports in parsed]
    if wait_for is None:
        waited = keys[0]
    else:
        waited = set().union(
            *(k for (e, _), k in zip(parsed, keys, strict=True) if e.pk in wait_for)
        )
    try:
        with transaction.atomic():  # a savepoint: a failure must not abort the batch
            reserved = messages_reserve(keys=set().union(*keys) - waited, wait_for=waited)
        failed: set[int] = set()
    except Exception:
        logger.exception("reserving a batch's messages failed; reserving event by event")
        reserved, failed = _messages_reserve_each(parsed, keys, waited)
    kept = [
        item
        for item, wanted in zip(parsed, keys, strict=True)
        if wanted <= reserved and item[0].pk not in failed
    ]
    if len(kept) == len(parsed):
        return parsed, set()
    # Failed ones are neither applied nor left: they are saved as failed, to be retried.
    return kept, {event.pk for event, _ in parsed} - {event.pk for event, _ in kept} - failed


def _messages_reserve_each(
    parsed: list[tuple[ClaimedEvent, list[DeliveryReport]]],
    keys: list[set[MessageKey]],
    waited: set[MessageKey],
) -> tuple[set[MessageKey], set[int]]:
    """Reserve event by event, each in a savepoint: (keys reserved, ids of events that
    failed, marked as such), so one event that cannot be reserved fails alone."""
    reserved: set[MessageKey] = set()
    failed: set[int] = set()
    for (event, _), wanted in zip(parsed, keys, strict=True):
        try:
            with transaction.atomic():
                reserved |= messages_reserve(keys=wanted - waited, wait_for=wanted & waited)
        except Exception as exc:
            event_fail(event, exc)
            failed.add(event.pk)
    return reserved, failed


def _event_parse(
    event: ClaimedEvent, endpoint: WebhookEndpoint
) -> tuple[list[DeliveryReport] | None, str]:
    request = InboundRequest(
        method=event.method,
        url="",
        headers=event.headers,
        query=parse_qs(event.query_string, keep_blank_values=True),
        body=bytes(event.body),
    )
    try:
        provider = endpoint.provider_adapter()
        reports = provider.reports(request)
        if endpoint.environment != Environment.LIVE:
            reports = [replace(report, environment=endpoint.environment) for report in reports]
    except ParseError as exc:
        return None, str(exc)
    except Exception as exc:  # a parser bug must not lose the event: keep it, say why
        logger.exception("event %s: parser raised", event.pk, extra={"inbound_event": event.pk})
        return None, f"parser error: {type(exc).__name__}: {exc}"
    return reports, "; ".join(provider.item_errors)


def _unmapped_count(parsed: list[tuple[ClaimedEvent, list[DeliveryReport]]]) -> None:
    """Count the batch's status strings no mapping knows; a statement only when there are
    some. A failure here costs the count, never the batch (a savepoint)."""
    if not any(report_unmapped(r) for _, reports in parsed for r in reports):
        return
    seen = [(e.endpoint_id, e.pk, r) for e, reports in parsed for r in reports]
    try:
        with transaction.atomic():
            unmapped_statuses_count(seen=seen, now=timezone.now())
    except Exception:
        logger.exception("counting unmapped statuses failed")


def _parsed_apply(
    parsed: list[tuple[ClaimedEvent, list[DeliveryReport]]],
    *,
    rollups_into: list[rollups.MessageChange] | None,
) -> None:
    items = [(report, event.pk) for event, reports in parsed for report in reports]
    changes: list[StatusChange] = []
    applied = reports_apply(items=items, rollups_into=rollups_into, changes_into=changes)
    # The notifications these changes owe, in the same transaction (a transactional outbox).
    outbox_write(changes=changes)
    for outcome, count in Counter(applied).items():
        REPORTS.labels(outcome.value).inc(count)
    outcomes = iter(outcomes_own(items, applied))
    for event, reports in parsed:
        event_outcomes = [next(outcomes) for _ in reports]
        event.report_count = len(reports)
        event_finish(event, event_outcome(event_outcomes))
