"""Inbound side: storing raw webhook events and turning them into applied reports."""

import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from operator import attrgetter
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from deliveries import rollups
from deliveries import status as st
from deliveries.bulk import rows_set
from deliveries.changes import StatusChange
from deliveries.models import StatusEvent
from deliveries.reports import DeliveryReport
from deliveries.services import MessageKey, messages_reserve, report_dedup_key, reports_apply
from dlrdash import partitions
from forwarding.outbox import outbox_write

from .inbox_writer import inbound_event_insert
from .metrics import APPLY_SECONDS, EVENTS_DEFERRED, EVENTS_PROCESSED, REPORTS
from .models import InboundEvent, WebhookEndpoint
from .providers import InboundRequest, ParseError
from .providers.storable import text_storable
from .redaction import body_to_store, headers_redacted, query_to_store
from .rejections import rejected_extract

logger = logging.getLogger(__name__)

# last_received_at is a hint for people, not a counter: refresh it at most this often so
# a burst of reports does not turn into a burst of UPDATEs on one hot row.
_LAST_RECEIVED_RESOLUTION = timedelta(seconds=30)


# Endpoints change rarely and are read on every webhook: each process keeps them for a
# few seconds (a query per request was ~15 % of the webhook's time, bench/README.md). A
# change saved in this process applies at once; in the others within ENDPOINT_CACHE_SECONDS.
_endpoint_cache: dict[str, tuple[float, WebhookEndpoint | None]] = {}


def endpoint_for_slug(slug: str) -> WebhookEndpoint | None:
    now = time.monotonic()
    cached = _endpoint_cache.get(slug)
    if cached and now - cached[0] < settings.ENDPOINT_CACHE_SECONDS:
        return cached[1]
    endpoint = WebhookEndpoint.objects.filter(slug=slug, active=True).first()
    if len(_endpoint_cache) > 1000:  # unknown slugs must not grow it without bound
        _endpoint_cache.clear()
    _endpoint_cache[slug] = (now, endpoint)
    return endpoint


def endpoint_cache_clear() -> None:
    _endpoint_cache.clear()


def body_read(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over the cap (read no further than the cap)."""
    cap = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return None
    if not request.META.get("CONTENT_LENGTH") and _is_chunked(request):
        # Django reads a body without Content-Length as empty; the WSGI server (granian, gunicorn)
        # de-chunks wsgi.input, so read it directly — still no more than the cap.
        body = request.META["wsgi.input"].read(cap + 1)
    else:
        body = request.read(cap + 1)
    return None if len(body) > cap else body


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def client_address(request: HttpRequest) -> str:
    """The caller's address: X-Forwarded-For is believed only from a trusted proxy."""
    remote: str = request.META.get("REMOTE_ADDR", "")
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not _in_networks(remote, settings.TRUSTED_PROXIES):
        return remote
    # Walk from the nearest hop back; the first address that is not one of our proxies
    # is the client (anything further left could have been written by the client).
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _in_networks(hop, settings.TRUSTED_PROXIES):
            return hop
    return remote


def address_allowed(endpoint: WebhookEndpoint, address: str) -> bool:
    networks = [line.strip() for line in endpoint.allowed_ips.splitlines() if line.strip()]
    return not networks or _in_networks(address, networks)


def _in_networks(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue  # a typo in the allowlist must not open or crash the endpoint
    return False


def inbound_request(request: HttpRequest, body: bytes) -> InboundRequest:
    headers = {name.lower(): value for name, value in request.headers.items()}
    return InboundRequest(
        method=request.method or "",
        url=request.build_absolute_uri(),
        headers=headers,
        query={key: request.GET.getlist(key) for key in request.GET},
        body=body,
    )


def inbound_event_store(
    *,
    endpoint: WebhookEndpoint,
    request: HttpRequest,
    inbound: InboundRequest,
    auth_error: str,
    response_code: int,
) -> int:
    """Commit the raw event and return its id; authentic ones are processed once the
    commit is done."""
    now = timezone.now()
    headers = headers_redacted(inbound.headers, provider=endpoint.provider)
    query_string = query_to_store(request.META.get("QUERY_STRING", ""), provider=endpoint.provider)
    # One INSERT in autocommit is durable when it returns: no BEGIN/COMMIT round trips.
    # on_commit then runs the kick at once (or after the enclosing transaction, if any).
    values = {
        "endpoint_id": endpoint.pk,
        "received_at": now,
        "method": inbound.method,
        # Credentials and message text are not kept; reports still parse from what is.
        "headers": headers,
        "query_string": query_string,
        # An unauthentic body is not worth keeping: it may be hostile and it is never
        # processed. The log row (time, address, reason) is what support needs.
        "body": b"" if auth_error else body_to_store(inbound.body, provider=endpoint.provider),
        "remote_addr": _valid_ip(client_address(request)),
        "auth_ok": not auth_error,
        "auth_error": auth_error[:200],
        "response_code": response_code,
        "state": InboundEvent.State.REJECTED if auth_error else InboundEvent.State.PENDING,
    }
    if auth_error:  # not the provider: a bounded extract of whatever was sent
        values["headers"], values["query_string"] = rejected_extract(
            endpoint.provider_adapter(), headers, query_string
        )
    event_id = inbound_event_insert(values)
    if not auth_error:
        transaction.on_commit(partial(inbox_kick, event_id), robust=True)
    if endpoint.last_received_at is None or now - endpoint.last_received_at > (
        _LAST_RECEIVED_RESOLUTION
    ):
        try:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_received_at=now)
        except DatabaseError:
            # Only a hint for people, and the event is already committed: a failure here
            # (this thread's connection died with a database restart, say) must not make
            # the caller store the event again. Django closes the broken connection.
            logger.warning("could not refresh %s's last_received_at", endpoint.slug)
        endpoint.last_received_at = now  # the cached copy too
    return event_id


def _valid_ip(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


_KICK_INTERVAL = 0.25
_kick_wanted = threading.Event()
_kicker: threading.Thread | None = None
_kicker_lock = threading.Lock()


def inbox_kick(event_id: int) -> None:
    """Get a stored event processed soon, without ever failing or slowing the request.

    Without a broker the event is processed right here, after commit. With one, a worker
    is told to drain the inbox — one drain takes every pending event, so a kick per
    process every 250 ms is plenty — and the periodic sweep covers a lost kick. The
    publish happens on a background thread: a broker that hangs (accepts connections but
    never answers) would otherwise hold every webhook request for the socket timeout.
    """
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            inbound_events_process(ids=[event_id])
            return
        _kick_wanted.set()
        _kicker_ensure()
    except Exception:
        # The event is committed and acknowledged whatever happens here: a failure is for
        # the log and the retries, never a 500 that makes the provider send it again.
        logger.exception("event %s: processing after commit failed; it stays pending", event_id)


def _kicker_ensure() -> None:
    global _kicker
    # Checked on every kick: a forked worker process inherits the flag but not the thread.
    if _kicker is None or not _kicker.is_alive():
        with _kicker_lock:
            if _kicker is None or not _kicker.is_alive():
                _kicker = threading.Thread(target=_kicker_loop, name="inbox-kicker", daemon=True)
                _kicker.start()


def _kicker_loop() -> None:
    from . import tasks

    while True:
        _kick_wanted.wait()
        _kick_wanted.clear()
        try:
            tasks.drain_inbox.apply_async(retry=False)
        except Exception:  # the broker is away: the sweep will find the events
            logger.warning("could not enqueue inbox drain; the periodic sweep will pick it up")
        time.sleep(_KICK_INTERVAL)


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
        # Rows, not model instances: building 500 instances was ~7 % of the drain's CPU.
        events = [_Claimed(*row) for row in pending.values_list(*_CLAIMED_FIELDS)[:limit]]
        left = _events_apply(events, wait_for=wait_for) if events else set()
    return {event.pk for event in events}, left


def inbound_events_reprocess(*, events: Sequence[InboundEvent]) -> int:
    """Process events again (after a parser fix, say). Applying twice changes nothing."""
    ids = [e.pk for e in events if e.auth_ok]
    InboundEvent.objects.filter(pk__in=ids).update(
        state=InboundEvent.State.PENDING, attempts=0, next_attempt_at=None
    )
    return inbound_events_process(ids=ids, limit=max(len(ids), 1))


@dataclass(slots=True)
class _Claimed:
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


_CLAIMED_FIELDS = tuple(field.name for field in fields(_Claimed))


def _events_apply(events: list[_Claimed], *, wait_for: set[int] | None) -> set[int]:
    """Parse, apply and save claimed events; returns the ids of those left for later."""
    started = time.perf_counter()
    endpoint_ids = {event.endpoint_id for event in events}
    endpoints = {e.pk: e for e in WebhookEndpoint.objects.filter(pk__in=endpoint_ids)}
    parsed: list[tuple[_Claimed, list[DeliveryReport]]] = []
    for event in events:
        reports, error = _event_parse(event, endpoints[event.endpoint_id])
        event.error = error
        if reports is None:
            _event_finish(event, InboundEvent.Outcome.UNPARSEABLE)
        else:
            parsed.append((event, reports))
    parsed, deferred = _events_reserve(parsed, wait_for=wait_for)
    if deferred:
        # Not written at all: the claim's row lock goes at commit and they are pending.
        events = [event for event in events if event.pk not in deferred]
        EVENTS_DEFERRED.inc(len(deferred))
        if not events:  # every one of them shares a message with another worker's batch
            return deferred
    before = [_event_state(event) for event, _ in parsed]
    try:
        with transaction.atomic():
            changes: list[rollups.MessageChange] = []
            _parsed_apply(parsed, rollups_into=changes)
            _events_save(events, started)
            # Last before the commit: every batch adds to the same few cells (this hour's
            # sent, delivered, …), so another worker's batch waits for them from here on.
            rollups.rollups_apply(changes)
    except Exception:
        # One poisonous event must not hold up the rest: retry them one at a time.
        logger.exception("batch apply failed; retrying %d events one by one", len(parsed))
        for (event, _), state in zip(parsed, before, strict=True):
            _event_state_restore(event, state)
        for item in parsed:
            try:
                with transaction.atomic():
                    _parsed_apply([item], rollups_into=None)
            except Exception as exc:
                _event_fail(item[0], exc)
        _events_save(events, started)
    APPLY_SECONDS.observe(time.perf_counter() - started)
    # Counted per batch: a labels().inc() per event was ~2 % of the drain's CPU.
    for outcome, count in Counter(event.outcome or "unknown" for event in events).items():
        EVENTS_PROCESSED.labels(outcome).inc(count)
    return deferred


def _events_reserve(
    parsed: list[tuple[_Claimed, list[DeliveryReport]]], *, wait_for: set[int] | None
) -> tuple[list[tuple[_Claimed, list[DeliveryReport]]], set[int]]:
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
    parsed: list[tuple[_Claimed, list[DeliveryReport]]],
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
            _event_fail(event, exc)
            failed.add(event.pk)
    return reserved, failed


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


_event_state = attrgetter(*_EVENT_STATE_FIELDS)  # event -> the tuple of its state fields


def _event_state_restore(event: _Claimed, state: tuple[object, ...]) -> None:
    for name, value in zip(_EVENT_STATE_FIELDS, state, strict=True):
        setattr(event, name, value)


def _events_save(events: list[_Claimed], started: float) -> None:
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
        groups.setdefault(_event_state(event), []).append(event.pk)
    for values, ids in groups.items():
        rows_set(InboundEvent, ids, dict(zip(_EVENT_STATE_FIELDS, values, strict=True)))


def _event_parse(
    event: _Claimed, endpoint: WebhookEndpoint
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
    except ParseError as exc:
        return None, str(exc)
    except Exception as exc:  # a parser bug must not lose the event: keep it, say why
        logger.exception("event %s: parser raised", event.pk, extra={"inbound_event": event.pk})
        return None, f"parser error: {type(exc).__name__}: {exc}"
    return reports, "; ".join(provider.item_errors)


def _parsed_apply(
    parsed: list[tuple[_Claimed, list[DeliveryReport]]],
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
    outcomes = iter(_outcomes_own(items, applied))
    for event, reports in parsed:
        event_outcomes = [next(outcomes) for _ in reports]
        event.report_count = len(reports)
        _event_finish(event, _event_outcome(event_outcomes))


def _outcomes_own(
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


def _event_outcome(outcomes: list[st.Outcome]) -> InboundEvent.Outcome:
    if not outcomes:
        return InboundEvent.Outcome.ORPHAN
    if any(o in (st.Outcome.APPLIED, st.Outcome.RECORDED) for o in outcomes):
        return InboundEvent.Outcome.APPLIED
    if st.Outcome.OUT_OF_ORDER in outcomes:
        return InboundEvent.Outcome.OUT_OF_ORDER
    return InboundEvent.Outcome.DUPLICATE


def _event_finish(event: _Claimed, outcome: InboundEvent.Outcome) -> None:
    event.state = InboundEvent.State.DONE
    event.outcome = outcome
    event.next_attempt_at = None  # processed_at: when the batch is saved


def _event_fail(event: _Claimed, exc: Exception) -> None:
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


def inbox_prune(
    *, now: datetime | None = None, batch_size: int = 5000
) -> tuple[int, int, list[str]]:
    """Retention: drop raw bodies and query strings (a GET report's fields, numbers
    included) after RETENTION_RAW_BODY_DAYS and log rows after
    RETENTION_INBOUND_EVENT_DAYS. Pending events are never touched.

    On PostgreSQL whole months past the window are dropped as partitions, except a month
    that still holds a pending event; the rest is deleted in batches so no statement holds
    locks for long. Idempotent. Returns (bodies cleared, events deleted, partitions dropped).
    """
    now = now or timezone.now()
    body_cutoff = now - timedelta(days=settings.RETENTION_RAW_BODY_DAYS)
    event_cutoff = now - timedelta(days=settings.RETENTION_INBOUND_EVENT_DAYS)
    dropped = partitions.partitions_drop(
        InboundEvent._meta.db_table,
        before=event_cutoff,
        keep_if=f"state = '{InboundEvent.State.PENDING.value}'",
    )
    done = ~Q(state=InboundEvent.State.PENDING)
    cleared = _in_batches(
        InboundEvent.objects.filter(done, received_at__lt=body_cutoff).exclude(
            body=b"", query_string=""
        ),
        lambda ids: InboundEvent.objects.filter(pk__in=ids).update(body=b"", query_string=""),
        batch_size,
    )
    deleted = _in_batches(
        InboundEvent.objects.filter(done, received_at__lt=event_cutoff),
        lambda ids: InboundEvent.objects.filter(pk__in=ids).delete()[0],
        batch_size,
    )
    return cleared, deleted, dropped


def _in_batches(
    queryset: QuerySet[InboundEvent], action: Callable[[list[int]], int], size: int
) -> int:
    total = 0
    while ids := list(queryset.values_list("pk", flat=True)[:size]):
        total += action(ids)
        if len(ids) < size:
            break
    return total
