"""Fixtures for the provider tests: an endpoint per provider and a sender through the view."""

from collections.abc import Callable

import pytest
from django.test import Client

from webhooks.models import WebhookEndpoint

from .signers import Req, endpoint_secret, key_for, send_request, sign


@pytest.fixture
def send(client: Client, django_capture_on_commit_callbacks) -> Callable[[Req], object]:
    """Send a request through the real view, running after-commit processing."""

    def send(req: Req):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return send_request(client, req)

    return send


@pytest.fixture
def endpoint_for(db: None) -> Callable[..., WebhookEndpoint]:
    def make(provider: str, *labels: str) -> WebhookEndpoint:
        keys = [key_for(provider, label) for label in labels or ("primary",)]
        return WebhookEndpoint.objects.create(
            provider=provider,
            slug=provider,
            secrets=[endpoint_secret(provider, key) for key in keys],
        )

    return make


@pytest.fixture
def deliver(send, endpoint_for) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Create the provider's endpoint, sign `req` with its key and send it."""

    def deliver(provider: str, req: Req):  # type: ignore[no-untyped-def]
        endpoint_for(provider)
        return send(sign(provider, req, key_for(provider)))

    return deliver
