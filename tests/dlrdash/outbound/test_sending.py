"""dlrdash.outbound's sending: what goes wrong is told in classes, never in addresses; kept-alive
connections are reused and bounded per target."""

import socket
import threading
import time

import pytest

from dlrdash import outbound
from dlrdash.outbound import OutboundError, post, sending

# --- Answers and failures ------------------------------------------------------------------


def test_a_2xx_answer_is_returned_with_at_most_a_kilobyte_of_its_body(
    local_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    server = local_server(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1_000_000)

    response = post(server.url, body=b'{"a": 1}', headers={"webhook-id": "msg_1"})

    assert (response.status, len(response.body)) == (200, outbound.BODY_KEPT)
    assert b"webhook-id: msg_1" in server.requests[0].lower()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "HTTP 500"),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP 404"),
        (
            b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
            "HTTP 302 (redirects are not followed)",
        ),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "invalid HTTP response"),
        (b"", "connection closed by the receiver"),
    ],
)
def test_a_failed_answer_is_told_in_a_class(
    answer: bytes, message: str, local_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    server = local_server(answer)

    with pytest.raises(OutboundError) as failed:
        post(server.url, body=b"{}", headers={})

    assert str(failed.value) == message


def test_a_closed_port_is_connection_refused_without_the_address(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed

    with pytest.raises(OutboundError) as failed:
        post(f"http://127.0.0.1:{port}/", body=b"{}", headers={})

    assert str(failed.value) == "connection refused"


def test_tls_to_a_plain_http_receiver_is_a_tls_error(local_server, settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    server = local_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    with pytest.raises(OutboundError) as failed:
        post(f"https://127.0.0.1:{server.port}/", body=b"{}", headers={})

    assert str(failed.value) == "TLS error"


@pytest.mark.parametrize("trickle", [False, True])
def test_a_receiver_that_never_finishes_answering_is_timed_out(
    trickle: bool, local_server, settings, monkeypatch
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(sending, "TOTAL_TIMEOUT", 0.4)
    # Silent, or a byte at a time: each step is quick, the whole never ends.
    server = local_server(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000, trickle=trickle)

    with pytest.raises(OutboundError) as failed:
        post(server.url, body=b"{}", headers={})

    assert str(failed.value) == "timed out"


# --- Kept-alive connections, bounded per target ---------------------------------------------


def test_a_kept_alive_connection_is_reused_without_resolving_again(
    resolving, keep_alive_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.internal"]
    calls = resolving({"hooks.internal": ["127.0.0.1"]})
    url = f"http://hooks.internal:{keep_alive_server.port}/hook"

    statuses = [post(url, body=b"{}", headers={}).status for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert (calls, len(keep_alive_server.connections)) == (["hooks.internal"], 1)


def test_a_kept_alive_connection_closed_by_the_receiver_is_replaced(
    keep_alive_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    url = f"http://127.0.0.1:{keep_alive_server.port}/hook"
    post(url, body=b"{}", headers={})
    keep_alive_server.close_idle()

    assert post(url, body=b"{}", headers={}).status == 200
    assert len(keep_alive_server.connections) == 2


def test_requests_to_one_target_in_flight_at_once_are_bounded(keep_alive_server, settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FORWARDING_TARGET_CONCURRENCY = 2
    keep_alive_server.hold.clear()
    url = f"http://127.0.0.1:{keep_alive_server.port}/hook"
    senders = [
        threading.Thread(target=post, args=(url,), kwargs={"body": b"{}", "headers": {}})
        for _ in range(5)
    ]
    for sender in senders:
        sender.start()

    assert keep_alive_server.two_in_flight.wait(5)
    time.sleep(0.3)  # room for a third request, were it let through
    keep_alive_server.hold.set()
    for sender in senders:
        sender.join(5)

    assert (keep_alive_server.most_in_flight, keep_alive_server.answered) == (2, 5)
