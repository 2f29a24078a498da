"""Fixtures for the webhook tests."""

from collections.abc import Callable

import pytest
from django.test import Client

from ..conftest import run_worker
from .providers.signers import Req, send_request


@pytest.fixture
def send(client: Client, django_capture_on_commit_callbacks) -> Callable[[Req], object]:
    """Send a request through the real view, running after-commit processing."""

    def send(req: Req):
        with django_capture_on_commit_callbacks(execute=True):
            response = send_request(client, req)
        run_worker()  # with a broker (CI's Redis run) processing is the worker's job
        return response

    return send
