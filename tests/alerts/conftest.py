"""Synthetic traffic for alert rules, and a local HTTP receiver for outgoing webhooks."""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deliveries.models import Message
from deliveries.status import Status
from tests.helpers import serve_in_thread

_ids = itertools.count()


def messages_make(
    count: int,
    *,
    at: datetime,
    delivered_share: float,
    provider: str = "infobip",
    operator: str = "AIRTEL",
    channel: str = "sms",
    error_code: str = "",
    dlt_template_id: str = "",
) -> None:
    """`count` final messages created (and submitted) at `at`, the given share delivered and
    the rest failed with `error_code`. Callers run `rollups_rebuild()` when done."""
    delivered = round(count * delivered_share)
    rows = [
        Message(
            provider=provider,
            message_id=f"m-{next(_ids)}",
            channel=channel,
            operator=operator,
            dlt_template_id=dlt_template_id,
            status=Status.DELIVERED if i < delivered else Status.FAILED,
            error_code="" if i < delivered else error_code,
            submitted_at=at,
            delivered_at=at if i < delivered else None,
            status_changed_at=at,
        )
        for i in range(count)
    ]
    created = Message.objects.bulk_create(rows)
    # created_at is auto_now_add: set the synthetic time afterwards.
    Message.objects.filter(pk__in=[m.pk for m in created]).update(created_at=at)


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (the last one repeats)."""

    statuses: list[int]
    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver(settings) -> Iterator[Callable[[list[int]], Receiver]]:
    """Local receivers on 127.0.0.1, which outgoing requests may reach only when listed."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int]) -> Receiver:
        state = Receiver(statuses=list(statuses))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_thread(server)
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
