"""Transport details: chunked bodies, IP allowlists behind proxies."""

import io

import pytest
from django.test import RequestFactory

from deliveries.models import Message
from webhooks import inbox
from webhooks.models import InboundEvent
from webhooks.views import receive

from ..helpers import fixture_bytes, smstake_sign

pytestmark = pytest.mark.django_db


def chunked_request(body: bytes):
    """A POST as gunicorn hands it over for Transfer-Encoding: chunked: no Content-Length."""
    request = RequestFactory().post(
        "/webhooks/smstake/",
        data=b"",
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body), "Transfer-Encoding": "chunked"},
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["wsgi.input"] = io.BytesIO(body)
    return request


def test_a_chunked_body_without_content_length_is_read(
    smstake_endpoint, django_capture_on_commit_callbacks
):
    body = fixture_bytes("smstake", "delivered.json")

    with django_capture_on_commit_callbacks(execute=True):
        response = receive(chunked_request(body), slug="smstake")
    inbox.inbox_drain()

    assert response.status_code == 200
    assert bytes(InboundEvent.objects.get().body) == body
    assert Message.objects.get().status == "delivered"


def test_a_chunked_body_over_the_cap_is_refused_without_reading_it_all(smstake_endpoint, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    stream = io.BytesIO(b"x" * 10_000_000)
    request = chunked_request(b"")
    request.META["wsgi.input"] = stream

    response = receive(request, slug="smstake")

    assert response.status_code == 413
    assert stream.tell() <= 1001  # bounded buffering


def test_an_allowlisted_endpoint_refuses_other_addresses_with_403(post_smstake, smstake_endpoint):
    smstake_endpoint.allowed_ips = "203.0.113.0/24\n2001:db8::/32"
    smstake_endpoint.save()
    body = fixture_bytes("smstake", "delivered.json")

    refused = post_smstake(body, REMOTE_ADDR="198.51.100.7")
    allowed = post_smstake(body, REMOTE_ADDR="203.0.113.9")

    assert (refused.status_code, allowed.status_code) == (403, 200)
    assert InboundEvent.objects.filter(response_code=403, auth_ok=False).count() == 1


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(post_smstake, smstake_endpoint, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    smstake_endpoint.allowed_ips = "203.0.113.0/24"
    smstake_endpoint.save()
    body = fixture_bytes("smstake", "delivered.json")
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}

    via_proxy = post_smstake(body, REMOTE_ADDR="10.1.2.3", **forged)
    direct = post_smstake(body, REMOTE_ADDR="198.51.100.7", **forged)
    spoofed_chain = post_smstake(
        body, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7"
    )

    assert [via_proxy.status_code, direct.status_code, spoofed_chain.status_code] == [200, 403, 403]
    assert InboundEvent.objects.filter(remote_addr="203.0.113.9").count() == 1
