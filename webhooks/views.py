"""The receiving view: verify over the raw bytes, store, commit, then answer.

The response never depends on processing: an authentic request is answered 2xx as soon
as its raw event is committed (DESIGN.md, "the inbox rule").
"""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import services
from .providers import AuthError

logger = logging.getLogger(__name__)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
def receive(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        endpoint = services.endpoint_for_slug(slug)
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
    body = services.body_read(request)
    if body is None:
        return _error(413, "body too large")
    inbound = services.inbound_request(request, body)
    auth_error = ""
    try:
        provider.verify(inbound, endpoint.secrets)
    except AuthError as exc:
        auth_error = str(exc)
    try:
        event = services.inbound_event_store(
            endpoint=endpoint, request=request, inbound=inbound, auth_error=auth_error
        )
    except DatabaseError:
        logger.exception("webhook %s: could not store the event", slug)
        return _error(503, "temporarily unavailable, retry later", Retry_After="30")
    if auth_error:
        logger.info("webhook %s: event %s rejected: %s", slug, event.pk, auth_error)
        return _error(401, "authentication failed")
    return provider.acknowledge()
