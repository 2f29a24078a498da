"""How the API answers errors that are not the client's: JSON, never Django's HTML page."""

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again; the webhook's 503 says the same.
RETRY_AFTER = "30"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's handler, plus: the database unreachable (down, restarting, connection lost) is a
    503 with Retry-After, so a client retries instead of reporting a bug."""
    if isinstance(exc, OperationalError | InterfaceError):
        view = context.get("view")
        logger.error("API %s: database unavailable: %s", type(view).__name__, exc)
        # A plain JSON response: DRF's browsable renderer would ask the database again
        # (who the user is, which forms to show) and fail with a 500 after all.
        response = JsonResponse(
            {"detail": "The service is temporarily unavailable; retry later."}, status=503
        )
        response["Retry-After"] = RETRY_AFTER
        return response
    return exception_handler(exc, context)
