"""Slow request bodies can hold only a few of a web process's threads.

granian hands a request to one of its threads as soon as the headers are in; reading
`wsgi.input` then blocks that thread until the client has sent the body. granian bounds the
time to send headers but not the body, and a blocked read cannot be interrupted: a few dozen
connections trickling a byte every few seconds held every thread, `/healthz` included, for
as long as they cared to. (Reading on another thread and answering 408 when it is late does
not work either: granian holds the interpreter lock while that read is pending.)

So every body is read here, before the application sees the request, by at most
REQUEST_BODY_READERS threads of a process at once. A body arriving when they are all busy
waits a moment for one (under load, readers are only waiting for the interpreter lock and
are done within milliseconds), but is answered 503 with Retry-After, unread, as soon as every
reader has been at it for over a second — slow senders — or after WAIT_SECONDS. Slow senders
can then hold those few threads and no more: health checks, pages and every request without
a body keep their threads, and providers retry the 503s. What bounds the time a body may
take is the proxy in front, which buffers whole bodies before passing them on
(docs/reliability.md, "Slow clients").
"""

import io
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

BODIES_REFUSED = Counter(
    "dlrdash_request_bodies_refused",
    "Requests answered before their body was read: busy (every body reader taken, 503), "
    "too_large (413), incomplete (the client went away, 400).",
    ["reason"],
)
_CHUNK = 64 * 1024
# A reader at it for longer than this is waiting for a slow sender.
SLOW_SECONDS = 1.0
# How long a body may wait for a reader while some are still quick.
WAIT_SECONDS = 0.25


class RequestBodyLimit:
    """WSGI middleware: read each request body with one of `readers` readers, or answer 503."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        readers: int,
        max_bytes: int,
        slow_seconds: float = SLOW_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.app = app
        self.readers = readers
        self.max_bytes = max_bytes
        self.slow_seconds = slow_seconds
        self.wait_seconds = wait_seconds
        self._reading: dict[int, float] = {}  # reader -> when it started
        self._changed = threading.Condition()
        self._tokens = itertools.count()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = _declared_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not (length or chunked):
            return self.app(environ, start_response)
        if length > self.max_bytes:
            # Larger than anything a view accepts: refused unread.
            return _refuse(start_response, "too_large", "413 Content Too Large")
        reader = self._reader_take()
        if reader is None:
            return _refuse(
                start_response, "busy", "503 Service Unavailable", [("Retry-After", "5")]
            )
        try:
            body = _read(environ["wsgi.input"], length or self.max_bytes + 1)
        except OSError:
            body = None
        finally:
            self._reader_return(reader)
        if body is None or len(body) < length:
            return _refuse(start_response, "incomplete", "400 Bad Request")
        if len(body) > self.max_bytes:  # chunked, no declared length
            return _refuse(start_response, "too_large", "413 Content Too Large")
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _reader_take(self) -> int | None:
        """A reader, or None when slow senders hold them all (or none came free in time)."""
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            while len(self._reading) >= self.readers:
                now = time.monotonic()
                youngest = max(self._reading.values())
                if now - youngest > self.slow_seconds or now >= deadline:
                    return None
                # Until one comes free, the deadline, or the youngest turns slow too.
                self._changed.wait(min(deadline, youngest + self.slow_seconds) - now + 0.001)
            reader = next(self._tokens)
            self._reading[reader] = time.monotonic()
            return reader

    def _reader_return(self, reader: int) -> None:
        with self._changed:
            del self._reading[reader]
            self._changed.notify()


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _read(stream: Any, limit: int) -> bytes:
    """Up to `limit` bytes: all of a declared length, or a chunked body up to the cap + 1."""
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = stream.read(min(limit - total, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


_MESSAGES = {
    "busy": "too many requests sending their body at once, retry later",
    "too_large": "body too large",
    "incomplete": "the request body ended early",
}


def _refuse(
    start_response: Callable[..., Any],
    reason: str,
    status: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    BODIES_REFUSED.labels(reason).inc()
    body = json.dumps({"error": _MESSAGES[reason]}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *(headers or []),
        ],
    )
    return [body]
