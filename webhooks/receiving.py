"""Receiving a webhook: the request helpers the view uses, storing the raw event, and
kicking the inbox so it is processed soon after commit."""

import ipaddress
import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .inbox import inbound_events_process
from .inbox_writer import inbound_event_insert
from .models import InboundEvent, WebhookEndpoint
from .providers import InboundRequest
from .redaction import body_to_store, headers_redacted, query_to_store
from .rejections import rejected_extract

logger = logging.getLogger(__name__)

# last_received_at is a hint for people, not a counter: refresh it at most this often so
# a burst of reports does not turn into a burst of UPDATEs on one hot row.
_LAST_RECEIVED_RESOLUTION = timedelta(seconds=30)


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
    # One INSERT in autocommit is durable when it returns: no BEGIN/COMMIT round trips.
    # on_commit then runs the kick at once (or after the enclosing transaction, if any).
    values: dict[str, Any] = {
        "endpoint_id": endpoint.pk,
        "received_at": now,
        "method": inbound.method,
        # Credentials and message text are not kept; reports still parse from what is.
        "headers": headers_redacted(
            inbound.headers, provider=endpoint.provider, secrets=endpoint.redaction_keys()[0]
        ),
        "query_string": query_to_store(
            request.META.get("QUERY_STRING", ""), provider=endpoint.provider
        ),
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
            endpoint.provider_adapter(), values["headers"], values["query_string"]
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
