"""Fixtures for the provider tests: an endpoint per provider and a sender through the view."""

from collections.abc import Callable

import pytest

from webhooks.models import WebhookEndpoint

from .custom_cases import mapping_of, provider_of, slug_of
from .signers import Req, endpoint_secret, key_for, sign


@pytest.fixture
def endpoint_for(db: None) -> Callable[..., WebhookEndpoint]:
    def make(provider: str, *labels: str) -> WebhookEndpoint:
        """`provider` may be a custom case (`custom:hmac`), created with its mapping."""
        keys = [key_for(provider, label) for label in labels or ("primary",)]
        return WebhookEndpoint.objects.create(
            provider=provider_of(provider),
            slug=slug_of(provider),
            secrets=[endpoint_secret(provider, key) for key in keys],
            mapping=mapping_of(provider),
        )

    return make


@pytest.fixture
def deliver(send, endpoint_for) -> Callable[..., object]:
    """Create the provider's endpoint, sign `req` with its key and send it."""

    def deliver(provider: str, req: Req):
        endpoint_for(provider)
        return send(sign(provider, req, key_for(provider)))

    return deliver
