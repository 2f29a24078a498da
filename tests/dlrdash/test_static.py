"""Static files are served by the app itself: from the app folders in development, and under
`make serve` (DEBUG=0) as collected copies with hashed names, cached for ten years."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_CSS = (ROOT / "static" / "css" / "app.css").read_bytes()
TEN_YEARS = "max-age=315360000, public, immutable"


def test_static_files_are_served_without_a_separate_server(client):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == APP_CSS


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class ProductionServer:
    port: int
    static_root: Path

    def get(self, path: str) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            # Through the TLS-terminating proxy, as in production.
            conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
            response = conn.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers, response.read())
        finally:
            conn.close()

    def hashed_name(self, name: str) -> str:
        manifest = json.loads((self.static_root / "staticfiles.json").read_text())
        return manifest["paths"][name]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionServer]:
    """`python -m dlrdash.serve` (what `make serve` runs) with DEBUG off, nothing collected."""
    tmp = tmp_path_factory.mktemp("serve")
    server = ProductionServer(port=_free_port(), static_root=tmp / "static")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")} | {
        "DEBUG": "0",
        "SECRET_KEY": "static-test-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",  # never opened by these requests
        "CELERY_BROKER_URL": "",
        "STATIC_ROOT": str(server.static_root),
        "WEB_BIND": f"127.0.0.1:{server.port}",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
    }
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "dlrdash.serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if server.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + (tmp / "serve.log").read_text())
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


@pytest.mark.slow  # collects static files and starts the production server
def test_make_serve_serves_a_hashed_static_file_with_a_ten_year_cache(production_server):
    name = production_server.hashed_name("css/app.css")
    assert name != "css/app.css"

    answer = production_server.get(f"/static/{name}")

    assert answer.status == 200
    assert answer.body == APP_CSS
    assert answer.headers["cache-control"] == TEN_YEARS
    assert answer.headers["content-type"].startswith("text/css")


@pytest.mark.slow  # collects static files and starts the production server
def test_make_serve_serves_a_name_without_hash_with_a_short_cache(production_server):
    answer = production_server.get("/static/css/app.css")

    assert answer.status == 200
    assert answer.headers["cache-control"] == "max-age=60, public"


@pytest.mark.slow  # collects static files and starts the production server
def test_pages_under_make_serve_link_the_hashed_names(production_server):
    page = production_server.get("/admin/login/")

    assert page.status == 200
    hashed = production_server.hashed_name("admin/css/base.css")
    assert f"/static/{hashed}".encode() in page.body
    assert production_server.get(f"/static/{hashed}").headers["cache-control"] == TEN_YEARS
