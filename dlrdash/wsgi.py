"""The WSGI application: pages and API through the full middleware stack, webhooks through a
lean one.

A provider's POST needs none of what people's pages need — sessions, authentication,
messages, CSRF (the view is exempt), CSP and frame headers on a JSON answer, login lockout —
and that stack was most of the CPU of a bare Django request (measured by calling both
handlers in-process; bench/README.md). Requests under
`settings.LEAN_PATH_PREFIXES` (`/webhooks/`) are served by a second Django handler whose
middleware is `settings.LEAN_MIDDLEWARE` (security: HTTPS redirect and HSTS; common: host
validation). Same URLconf, same views, same settings otherwise.

Both sit behind `RequestBodyLimit` (dlrdash/request_bodies.py): request bodies are read by a
few threads at most, so clients trickling their bodies cannot hold every request thread.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlrdash.settings")

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from dlrdash.request_bodies import RequestBodyLimit

django.setup(set_prefix=False)

from forwarding.kicker import inline_sender_start  # noqa: E402 (needs the apps set up)


class LeanWSGIHandler(WSGIHandler):
    """Django's handler with `settings.LEAN_MIDDLEWARE` instead of `settings.MIDDLEWARE`."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads settings.MIDDLEWARE; swap it only while this handler is built
        # (once, at import, before any request thread exists).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.LEAN_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class PathDispatcher:
    def __init__(self, default: WSGIHandler, lean: WSGIHandler, prefixes: Iterable[str]) -> None:
        self.default = default
        self.lean = lean
        self.prefixes = tuple(prefixes)
        self.started = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self.started:
            # Without a broker nothing runs beat's periodic work: this process's thread does
            # (no-DLR deadlines, retries), started with the first request it serves.
            self.started = True
            inline_sender_start()
        handler = self.lean if environ.get("PATH_INFO", "").startswith(self.prefixes) else None
        return (handler or self.default)(environ, start_response)


application = RequestBodyLimit(
    PathDispatcher(WSGIHandler(), LeanWSGIHandler(), settings.LEAN_PATH_PREFIXES),
    readers=settings.REQUEST_BODY_READERS,
    # The largest body any view reads: webhooks, or Django's cap for everything else.
    max_bytes=max(settings.WEBHOOK_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0),
)
