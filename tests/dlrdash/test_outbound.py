"""dlrdash.outbound: destinations inside our network are refused, when saved and when called;
what goes wrong is told in classes, never in addresses."""

import contextlib
import http.server
import ipaddress
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ValidationError

from dlrdash import outbound
from dlrdash.outbound import OutboundError, OutboundRefused, post, sending, target_check

# --- Which addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.170.2", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("192.0.0.192", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (an address to refuse)
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("::127.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),
        # IPv4 inside IPv6: mapped, 6to4, NAT64.
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("2002:7f00:1::1", "a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
    ],
)
def test_an_address_inside_our_network_is_refused(address: str, reason: str, resolving) -> None:
    resolving({"hooks.example.net": [address]})

    with pytest.raises(OutboundRefused) as refused:
        target_check("https://hooks.example.net/alerts")

    assert str(refused.value) == (
        f"hooks.example.net resolves to {reason}, which is not allowed (OUTBOUND_ALLOWED_HOSTS)"
    )


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_a_public_address_is_allowed(address: str, resolving) -> None:
    resolving({"hooks.example.net": [address]})

    target = target_check("https://hooks.example.net/alerts?team=ops")

    assert (target.host, target.port, target.path) == ("hooks.example.net", 443, "/alerts?team=ops")
    assert target.addresses == (str(ipaddress.ip_address(address)),)


def test_a_name_is_refused_if_any_of_its_addresses_is_inside(resolving) -> None:
    resolving({"hooks.example.net": ["8.8.8.8", "10.0.0.7"]})

    with pytest.raises(OutboundRefused, match="a private address"):
        target_check("http://hooks.example.net/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://[::1]/",
        "http://localhost:6379/",
        "http://0x7f000001/",  # the resolver reads these spellings of 127.0.0.1 too
        "http://2130706433/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_addresses_written_in_the_url_are_checked_the_same_way(url: str) -> None:
    with pytest.raises(OutboundRefused):
        target_check(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "only http and https URLs are called"),
        ("file:///etc/passwd", "only http and https URLs are called"),
        ("gopher://127.0.0.1:6379/_INFO", "only http and https URLs are called"),
        ("http:///path", "the URL has no host"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_anything_but_an_http_url_with_a_host_is_refused(url: str, message: str) -> None:
    with pytest.raises(OutboundRefused, match=message):
        target_check(url)


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9000/hook"),
        (["localhost"], "http://localhost:9000/hook"),
        (["LOCALHOST."], "http://localhost:9000/hook"),
        (["10.0.0.0/8"], "http://10.20.30.40/hook"),
        (["::1"], "http://[::1]:9000/hook"),
    ],
)
def test_a_listed_host_name_address_or_network_is_allowed(
    allowed: list[str], url: str, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = allowed

    assert target_check(url).addresses


def test_listing_an_address_does_not_allow_a_name_that_also_resolves_elsewhere(
    resolving, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    resolving({"both.example.net": ["127.0.0.1", "::1"]})

    with pytest.raises(OutboundRefused, match="a loopback address"):
        target_check("http://both.example.net/")


def test_the_validator_refuses_with_the_reason_and_lets_an_unresolvable_name_through(
    resolving,
) -> None:
    resolving({"inside.example.net": ["192.168.0.10"]})

    with pytest.raises(ValidationError) as refused:
        outbound.validate_destination("https://inside.example.net/hook")
    # Checked again on every send: DNS may just be away at save time.
    outbound.validate_destination("https://not-yet.example.net/hook")

    assert refused.value.messages == [
        "inside.example.net resolves to a private address, which is not allowed "
        "(OUTBOUND_ALLOWED_HOSTS)"
    ]


# --- DNS rebinding: checked again, and connected to what was checked -------------------------


def test_a_name_that_passed_when_saved_but_resolves_inside_when_called_is_refused(
    resolving, local_server
) -> None:
    server = local_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    resolving({"rebind.example.net": ["93.184.215.14"]})
    outbound.validate_destination(f"http://rebind.example.net:{server.port}/hook")  # saved

    resolving({"rebind.example.net": ["127.0.0.1"]})  # the record changes
    with pytest.raises(OutboundRefused, match="resolves to a loopback address"):
        post(f"http://rebind.example.net:{server.port}/hook", body=b"{}", headers={})

    assert server.requests == []


def test_the_connection_goes_to_the_address_that_was_checked_and_keeps_the_host_name(
    resolving, local_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.internal"]
    server = local_server(b"HTTP/1.1 204 No Content\r\n\r\n")
    # Resolved once: a second lookup would send the request nowhere.
    calls = resolving({"hooks.internal": ["127.0.0.1"]}, then=["192.0.2.1"])

    response = post(f"http://hooks.internal:{server.port}/hook", body=b"{}", headers={})

    assert response.status == 204
    assert calls == ["hooks.internal"]
    assert f"host: hooks.internal:{server.port}" in server.requests[0].decode().lower()


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
    monkeypatch.setattr(sending, "TOTAL_TIMEOUT", 1)
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


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_kept_connections() -> Iterator[None]:
    yield
    outbound.pools_clear()


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """Make names resolve to the given addresses (then to `then`, from the second lookup);
    returns the names looked up. Other names do not resolve."""
    looked_up: list[str] = []

    def install(names: dict[str, list[str]], then: list[str] | None = None) -> list[str]:
        def getaddrinfo(
            host: str, port: int, *args: object, **kwargs: object
        ) -> list[tuple[object, ...]]:
            looked_up.append(host)
            if host not in names:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            addresses = then if then is not None and len(looked_up) > 1 else names[host]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in addresses
            ]

        looked_up.clear()
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return looked_up

    return install


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class LocalServer:
    """Reads a request, records it, and answers `answer` verbatim (or a byte at a time)."""

    def __init__(self, answer: bytes, *, trickle: bool = False) -> None:
        self.requests: list[bytes] = []
        self.done = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                owner.requests.append(data)
                for piece in (
                    [answer[i : i + 1] for i in range(len(answer))] if trickle else [answer]
                ):
                    if owner.done.is_set():
                        return
                    try:
                        self.request.sendall(piece)
                    except OSError:
                        return
                    if trickle:
                        time.sleep(0.05)
                if not answer:
                    return
                owner.done.wait(timeout=10)  # hold the connection open until the test ends

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_server() -> Iterator[Callable[..., LocalServer]]:
    servers: list[LocalServer] = []

    def start(answer: bytes, *, trickle: bool = False) -> LocalServer:
        servers.append(LocalServer(answer, trickle=trickle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


class KeepAliveServer:
    """HTTP/1.1 with keep-alive: answers 200 to every POST, counts connections and requests
    in flight; `hold` cleared keeps requests waiting."""

    def __init__(self) -> None:
        self.connections: list[socket.socket] = []
        self.hold = threading.Event()
        self.hold.set()
        self.two_in_flight = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = self.answered = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                owner.connections.append(self.request)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                with owner.lock:
                    owner.in_flight += 1
                    owner.most_in_flight = max(owner.most_in_flight, owner.in_flight)
                    if owner.in_flight >= 2:
                        owner.two_in_flight.set()
                owner.hold.wait(10)
                with owner.lock:
                    owner.in_flight -= 1
                    owner.answered += 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close_idle(self) -> None:
        """Close every connection from the server's side, as an idle timeout would."""
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        time.sleep(0.1)  # let the close reach the client's socket

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keep_alive_server() -> Iterator[KeepAliveServer]:
    server = KeepAliveServer()
    yield server
    server.close()
