"""Requests that fail authentication: logged in brief, and counted instead of logged in a flood.

A forged or misconfigured request is logged so support can see who knocks and why they are
refused: time, address, reason, and the few headers that explain a refusal (user agent,
content type, forwarding, the signature, timestamp and nonce headers, whose secret values
are redacted already). Never its body, and never more headers or longer values than
below: an unauthenticated 400 KB header used to be stored whole, at megabytes a second.

Past WEBHOOK_REJECTED_LOG_PER_MINUTE logged rejections of an endpoint in a minute (in each
web process), further ones are only counted: a Prometheus counter, and a per-endpoint,
per-minute `RejectionCount` row that the endpoint health adds to its auth failures. Counts
are added up in memory and written a few seconds later by a short-lived thread, so a flood
of forged requests costs one small UPDATE per endpoint every few seconds, not a row each.
"""

import logging
import re
import threading
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .metrics import WEBHOOK_REJECTIONS_UNLOGGED
from .models import RejectionCount, WebhookEndpoint
from .providers import Provider

logger = logging.getLogger(__name__)

# Headers worth keeping from a request that failed authentication.
_KEPT_HEADERS = frozenset(
    {
        "user-agent",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-real-ip",
        "via",
        "date",
    }
)
# …and headers named like the ones signature checks read (values redacted before this).
_KEPT_WORDS = re.compile(r"signature|timestamp|nonce|authorization|webhook-id|token|api-?key")
MAX_HEADERS = 16
MAX_NAME = 64
MAX_VALUE = 200
MAX_QUERY = 1000
# How long unlogged rejections are added up before they are written (0: at once, inline).
FLUSH_SECONDS = 5.0


def rejected_extract(
    provider: Provider, headers: dict[str, str], query_string: str
) -> tuple[dict[str, str], str]:
    """What is kept of a rejected request's (already redacted) headers and query string."""
    named = _KEPT_HEADERS | {name.lower() for name in provider.secret_headers}
    # Named ones first: a pile of made-up "x-timestamp-…" headers cannot push them out.
    chosen = [name for name in headers if name in named]
    chosen += [
        name
        for name in headers
        if name not in named and len(name) <= MAX_NAME and _KEPT_WORDS.search(name)
    ]
    kept = {name: _truncated(headers[name], MAX_VALUE) for name in chosen[:MAX_HEADERS]}
    return kept, _truncated(query_string, MAX_QUERY)


def _truncated(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# endpoint id -> (minute, rejections logged in it) in this process.
_logged: dict[int, tuple[datetime, int]] = {}
# (endpoint id, minute) -> rejections counted but not logged, not yet written.
_unlogged: Counter[tuple[int, datetime]] = Counter()
_lock = threading.Lock()
_flush_timer: threading.Timer | None = None


def rejection_log_admit(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> bool:
    """True if this rejected request gets its log row; otherwise it is counted instead."""
    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    with _lock:
        since, logged = _logged.get(endpoint.pk, (minute, 0))
        if since != minute:
            logged = 0
        if logged < settings.WEBHOOK_REJECTED_LOG_PER_MINUTE:
            _logged[endpoint.pk] = (minute, logged + 1)
            return True
        _unlogged[(endpoint.pk, minute)] += 1
    WEBHOOK_REJECTIONS_UNLOGGED.labels(endpoint.provider).inc()
    _flush_soon()
    return False


def _flush_soon() -> None:
    global _flush_timer
    if FLUSH_SECONDS <= 0:
        rejections_flush()
        return
    with _lock:
        if _flush_timer is None:
            _flush_timer = threading.Timer(FLUSH_SECONDS, _flush_in_background)
            _flush_timer.daemon = True
            _flush_timer.start()


def _flush_in_background() -> None:
    global _flush_timer
    with _lock:
        _flush_timer = None
    try:
        rejections_flush()
    finally:
        connection.close()  # this thread's own connection; the thread ends here


def rejections_flush() -> int:
    """Write the counted rejections; returns how many. Those a database error left unwritten
    are kept for the next attempt."""
    with _lock:
        pending = list(_unlogged.items())
        _unlogged.clear()
    written = 0
    for index, ((endpoint_id, minute), count) in enumerate(pending):
        try:
            _count_add(endpoint_id, minute, count)
        except DatabaseError:
            logger.warning("could not write counts of rejected webhook requests; retrying later")
            with _lock:
                _unlogged.update(dict(pending[index:]))
            if FLUSH_SECONDS > 0:
                _flush_soon()
            break
        written += count
    return written


def _count_add(endpoint_id: int, minute: datetime, count: int) -> None:
    rows = RejectionCount.objects.filter(endpoint_id=endpoint_id, minute=minute)
    if rows.update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            RejectionCount.objects.create(endpoint_id=endpoint_id, minute=minute, count=count)
    except IntegrityError:  # another process created it meanwhile (or the endpoint is gone)
        rows.update(count=F("count") + count)


def rejection_counts_prune(*, before: datetime) -> int:
    return RejectionCount.objects.filter(minute__lt=before).delete()[0]


def rejections_reset() -> None:
    """Forget this process's windows and pending counts (tests)."""
    with _lock:
        _logged.clear()
        _unlogged.clear()
