"""RequestBodyLimit: bodies are read before the application, by a bounded number of threads."""

import io
import json
import threading
from typing import Any

from dlrdash.request_bodies import RequestBodyLimit


class App:
    """Records the body each request reached it with."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


class Trickle(io.RawIOBase):
    """A client that sends nothing more until `release` is set."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.release = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.reading.set()
        self.release.wait(timeout=30)
        return b""


class Untouchable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def call(app: RequestBodyLimit, body: Any, **environ: str) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    length = {"CONTENT_LENGTH": str(len(body))} if isinstance(body, bytes) else {}
    content = b"".join(app({"wsgi.input": stream, **length, **environ}, start_response))
    return answer["status"], answer["headers"], content


def test_a_body_reaches_the_application_whole() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000)

    status, _, _ = call(limit, b'{"status": "delivered"}')

    assert status == "200 OK"
    assert inner.bodies == [b'{"status": "delivered"}']


def test_a_chunked_body_without_a_length_is_read_to_its_end() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000)

    status, _, _ = call(limit, io.BytesIO(b"a" * 700), HTTP_TRANSFER_ENCODING="chunked")

    assert status == "200 OK"
    assert inner.bodies == [b"a" * 700]


def test_a_declared_length_over_the_cap_is_refused_unread() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000)

    status, _, content = call(limit, Untouchable(), CONTENT_LENGTH="1001")

    assert status.startswith("413")
    assert json.loads(content) == {"error": "body too large"}
    assert inner.bodies == []


def test_a_chunked_body_over_the_cap_is_refused() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000)

    status, _, _ = call(limit, io.BytesIO(b"a" * 5000), HTTP_TRANSFER_ENCODING="chunked")

    assert status.startswith("413")
    assert inner.bodies == []


def test_a_body_that_ends_early_never_reaches_the_application() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000)

    status, _, _ = call(limit, io.BytesIO(b"{"), CONTENT_LENGTH="100")

    assert status.startswith("400")
    assert inner.bodies == []


def test_when_slow_senders_hold_every_reader_the_next_body_is_a_503_unread() -> None:
    inner = App()
    # Every reader counts as held by a slow sender at once.
    limit = RequestBodyLimit(inner, readers=2, max_bytes=1000, slow_seconds=0)
    slow = [Trickle(), Trickle()]
    held = [
        threading.Thread(target=call, args=(limit, stream), kwargs={"CONTENT_LENGTH": "10"})
        for stream in slow
    ]
    for thread in held:
        thread.start()
    try:
        assert all(stream.reading.wait(timeout=10) for stream in slow)

        status, headers, _ = call(limit, Untouchable(), CONTENT_LENGTH="10")
        # A request without a body needs no reader.
        bodyless, _, _ = call(limit, b"")
    finally:
        for stream in slow:
            stream.release.set()
        for thread in held:
            thread.join(timeout=10)

    assert (status, headers["Retry-After"]) == ("503 Service Unavailable", "5")
    assert bodyless == "200 OK"
    # The readers are free again once the slow senders are gone.
    assert call(limit, b"{}")[0] == "200 OK"


def test_a_body_waits_for_a_reader_that_is_busy_only_for_a_moment() -> None:
    inner = App()
    limit = RequestBodyLimit(inner, readers=1, max_bytes=1000, slow_seconds=30, wait_seconds=30)
    busy = Trickle()
    holder = threading.Thread(target=call, args=(limit, busy), kwargs={"CONTENT_LENGTH": "10"})
    holder.start()
    assert busy.reading.wait(timeout=10)
    answers: list[str] = []
    waiter = threading.Thread(target=lambda: answers.append(call(limit, b"{}")[0]))
    waiter.start()

    busy.release.set()  # the reader comes free (its client went away)
    holder.join(timeout=10)
    waiter.join(timeout=10)

    assert answers == ["200 OK"]
    assert inner.bodies == [b"{}"]
