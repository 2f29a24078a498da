"""Shared fixtures. Payload files live under tests/fixtures/<provider>/."""

import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from hypothesis import settings as hypothesis_settings

from alerts.services import notifications_deliver
from dlrdash.celery import app as celery_app
from webhooks import inbox_writer, rejections
from webhooks.inbox import inbox_drain
from webhooks.models import WebhookEndpoint

from .factories import make_user, roles_restore
from .helpers import FAST_EXAMPLES, SMSTAKE_SECRET, WAVIX_SECRET, smstake_sign

hypothesis_settings.register_profile("fast", max_examples=FAST_EXAMPLES)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def _passwords_hashed_cheaply() -> Iterator[None]:
    """Production's hasher is slow on purpose; the tests create and log in users by the
    hundred and check what a password opens, not how it is stored."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _a_broker_database_per_worker() -> Iterator[None]:
    """pytest-xdist's workers share one Redis: each publishes to a database of its own (the
    configured one, the one below it, …), so a test that counts the queue counts its own."""
    url, worker = settings.CELERY_BROKER_URL, os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url.startswith("redis") or not worker:
        yield
        return
    parts = urlsplit(url)
    number = (int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))) % 16
    url = urlunsplit(parts._replace(path=f"/{number}"))
    celery_app.conf.update(broker_url=url)
    with override_settings(CELERY_BROKER_URL=url):
        yield


@pytest.fixture(autouse=True)
def _login_lockout_only_where_tested(request: pytest.FixtureRequest, settings) -> None:
    """django-axes wants a request on every authenticate(); the test client's login() has
    none. Lockout is tested on its own (marker `axes`); elsewhere it is out of the way."""
    if request.node.get_closest_marker("axes") is None:
        settings.AXES_ENABLED = False


@pytest.fixture
def roles(db: None) -> None:
    """The groups the roles migrations create, for tests that read them directly (the user
    factory restores them itself): a transactional test's flush removes them."""
    roles_restore()


@pytest.fixture(autouse=True)
def _inbox_writer_connections_closed() -> Iterator[None]:
    """Group commit's writer thread keeps a connection of its own (PostgreSQL, outside a
    transaction): closed after each test so the test database can be dropped."""
    yield
    inbox_writer.writers_close()


@pytest.fixture(autouse=True)
def _rejections_counted_inline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rejected requests are counted per process and minute: each test starts afresh, and
    counts are written at once by the request (no timer thread touching the database)."""
    monkeypatch.setattr(rejections, "FLUSH_SECONDS", 0)
    rejections.rejections_reset()
    yield
    rejections.rejections_reset()


@pytest.fixture
def campaign_manager(transactional_db: None) -> User:
    """A staff user in the Campaign manager role, who logs in with a password (the browser
    tests)."""
    return make_user("Campaign manager", username="meera", password="campaigns-2026")


def run_worker() -> None:
    """With a broker (CI's Redis run) the task went to Redis: do what the worker does
    (drain the inbox, send due alert notifications).

    Without one, processing already ran inline after commit and there is nothing left.
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        inbox_drain()
        notifications_deliver(ids=None)


@pytest.fixture
def smstake_endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        provider="smstake", slug="smstake", secrets=[SMSTAKE_SECRET]
    )


@pytest.fixture
def wavix_endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(provider="wavix", slug="wavix", secrets=[WAVIX_SECRET])


@pytest.fixture
def post_smstake(
    client: Client, smstake_endpoint: WebhookEndpoint, django_capture_on_commit_callbacks
) -> Callable[..., object]:
    """Post a body to the SMSTAKE endpoint, signed correctly unless told otherwise.

    After-commit processing runs as it does in production (tests run inside a
    transaction that never commits, so the callbacks are run explicitly).
    """

    def post(body: bytes, signature: str | None = None, **environ: Any):
        sig = smstake_sign(body) if signature is None else signature
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/webhooks/smstake/",
                data=body,
                content_type="application/json",
                headers={"X-SMSTAKE-Signature": sig},
                **environ,
            )
        run_worker()
        return response

    return post


@pytest.fixture
def post_wavix(
    client: Client, wavix_endpoint: WebhookEndpoint, django_capture_on_commit_callbacks
) -> Callable[..., object]:
    def post(body: bytes, token: str = WAVIX_SECRET):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/webhooks/wavix/?token={token}", data=body, content_type="application/json"
            )
        run_worker()
        return response

    return post


@pytest.fixture
def rate_card(db: None) -> Callable[..., object]:
    """Adds a rate to the rate card: `rate_card(provider=…, price=…, currency=…, …)`."""
    from .billing.rates import rate_add

    return rate_add
