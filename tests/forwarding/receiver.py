"""A real HTTP receiver on a thread: verifies every request with the `standardwebhooks`
package, as a customer's receiver would, and answers what the test tells it to."""

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from tests.helpers import serve_in_thread

Answer = tuple[int, bytes, dict[str, str]]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None  # None: the signature did not verify
    error: str = ""


@dataclass
class Receiver:
    secret: str
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Called for each request; returns (status, body, headers). Default: 204.
    answer: Callable[[Received], Answer] = lambda _: (204, b"", {})
    server: ThreadingHTTPServer | None = None

    @property
    def verified(self) -> list[dict[str, Any]]:
        return [r.payload for r in self.received if r.payload is not None]

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the sender's pool expects

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                item = Received(headers, body, None)
                try:
                    item.payload = Webhook(receiver.secret).verify(body, headers)
                except Exception as exc:
                    item.error = f"{type(exc).__name__}: {exc}"
                receiver.received.append(item)
                status, answer, extra = receiver.answer(item)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                # The sender may stop reading (a capped answer): expected.
                with contextlib.suppress(OSError):
                    self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dlr"
        serve_in_thread(self.server)
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Poll until `count` verified payloads arrived (for tests that send in background)."""
        deadline = time.monotonic() + timeout
        while len(self.verified) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.verified


def json_answer(status: int, data: object) -> Answer:
    return status, json.dumps(data).encode(), {"content-type": "application/json"}
