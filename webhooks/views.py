"""The receiving view: verify over the raw bytes, store, commit, then answer.

The response never depends on processing: an authentic request is answered 2xx as soon
as its raw event is committed (docs/architecture.md, "The inbox rule").
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import receiving, rejections
from .metrics import WEBHOOK_REQUESTS
from .models import WebhookEndpoint, endpoint_for_slug
from .providers import AuthError

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _reconnecting(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `call`; if it fails on a persistent connection that died (the database restarted
    since the last request), retry once on a fresh one instead of answering 503."""
    was_open = connection.connection is not None
    try:
        return call(*args, **kwargs)
    except (InterfaceError, OperationalError):
        if not was_open or connection.in_atomic_block:
            raise
        connection.close()
        return call(*args, **kwargs)


@csrf_exempt
def receive(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        endpoint = _reconnecting(endpoint_for_slug, slug)
    except DatabaseError:
        logger.exception("webhook %s: database unavailable", slug)
        return _error(503, "temporarily unavailable, retry later", Retry_After="30")
    if endpoint is None:
        return _error(404, "unknown endpoint")
    if request.method == "HEAD":
        return HttpResponse(status=200)
    provider = endpoint.provider_adapter()
    if request.method not in provider.methods:
        response = _error(405, f"method not allowed; use {', '.join(provider.methods)}")
        response["Allow"] = ", ".join((*provider.methods, "HEAD"))
        return response
    body = receiving.body_read(request)
    if body is None:
        WEBHOOK_REQUESTS.labels(endpoint.provider, "too_large").inc()
        return _error(413, "body too large")
    inbound = receiving.inbound_request(request, body)
    auth_error, refusal = "", 401
    answer: HttpResponse | None = None  # a handshake's own answer
    if not receiving.address_allowed(endpoint, receiving.client_address(request)):
        auth_error, refusal = "address not in the endpoint's allowlist", 403
    else:
        try:
            answer = provider.handshake(inbound, endpoint.secrets)
            if answer is None:
                provider.verify(inbound, endpoint.secrets)
        except AuthError as exc:
            auth_error, refusal = str(exc), exc.status
    if auth_error and not rejections.rejection_log_admit(endpoint=endpoint):
        return _refused(endpoint, refusal)  # a flood: counted, not logged row by row
    try:
        event_id = _reconnecting(
            receiving.inbound_event_store,
            endpoint=endpoint,
            request=request,
            inbound=inbound,
            auth_error=auth_error,
            response_code=refusal if auth_error else (answer or HttpResponse()).status_code,
        )
    except DatabaseError:
        logger.exception("webhook %s: could not store the event", slug, extra={"endpoint": slug})
        WEBHOOK_REQUESTS.labels(endpoint.provider, "unavailable").inc()
        return _error(503, "temporarily unavailable, retry later", Retry_After="30")
    if auth_error:
        logger.info(
            "webhook %s: event %s rejected: %s",
            slug,
            event_id,
            auth_error,
            extra={"inbound_event": event_id, "endpoint": slug, "provider": endpoint.provider},
        )
        return _refused(endpoint, refusal)
    WEBHOOK_REQUESTS.labels(endpoint.provider, "accepted").inc()
    return answer if answer is not None else provider.acknowledge()


def _refused(endpoint: WebhookEndpoint, refusal: int) -> JsonResponse:
    result = "unauthorized" if refusal == 401 else "forbidden"
    WEBHOOK_REQUESTS.labels(endpoint.provider, result).inc()
    return _error(refusal, "authentication failed" if refusal == 401 else "forbidden")
