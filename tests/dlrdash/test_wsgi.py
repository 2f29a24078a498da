"""The WSGI application: webhooks through the lean handler, everything else through the full one."""

import io
from wsgiref.util import setup_testing_defaults

import pytest

from dlrdash.wsgi import application
from webhooks.models import InboundEvent

from ..helpers import fixture_bytes, smstake_sign


def _call(method: str, path: str, body: bytes = b"", **headers: str) -> tuple[str, dict[str, str]]:
    environ: dict[str, object] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "REMOTE_ADDR": "203.0.113.9",
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    answer: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
        answer.update(status=status, headers={k.lower(): v for k, v in response_headers})

    result = application(environ, start_response)
    b"".join(result)
    result.close()
    return answer["status"], answer["headers"]  # type: ignore[return-value]


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_stored_through_the_lean_handler_without_page_headers(smstake_endpoint):
    body = fixture_bytes("smstake", "delivered.json")

    status, headers = _call(
        "POST", "/webhooks/smstake/", body, **{"X-SMSTAKE-Signature": smstake_sign(body)}
    )

    assert status.startswith("200")
    assert bytes(InboundEvent.objects.get().body) == body
    # No session, CSRF cookie or page policy on a provider's answer.
    assert "set-cookie" not in headers
    assert "content-security-policy" not in headers


@pytest.mark.django_db(transaction=True)
def test_pages_keep_the_full_middleware_stack():
    # transaction=True: the real handler closes a connection left inside a transaction.
    status, headers = _call("GET", "/admin/login/")

    assert status.startswith("200")
    assert "content-security-policy" in headers
    assert headers["x-frame-options"] == "DENY"
    assert "csrftoken" in headers["set-cookie"]
