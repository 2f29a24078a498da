"""Local receivers for the outbound tests: a raw socket server that answers verbatim (or a
byte at a time) and a keep-alive HTTP/1.1 server; names made to resolve where a test says."""

import contextlib
import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from dlrdash import outbound
from tests.helpers import serve_in_thread


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
                # A TLS hello (first byte 0x16) has no blank line: answer it at once.
                while b"\r\n\r\n" not in data and not data.startswith(b"\x16"):
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
        serve_in_thread(self.server)

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
        serve_in_thread(self.server)

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
