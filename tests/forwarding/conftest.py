from collections.abc import Iterator

import pytest

from alerts.models import webhook_secret_generate
from dlrdash import outbound
from forwarding.models import FINAL, NO_DLR, STATUS, Subscription

from .receiver import Receiver


@pytest.fixture(autouse=True)
def _forwarding_settings(settings) -> Iterator[None]:
    """The receiver listens on 127.0.0.1, which the SSRF guard lets through only when
    listed; tests drain explicitly (no background sender thread)."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FORWARDING_INLINE_SENDER = False
    yield
    outbound.pools_clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(secret=webhook_secret_generate()).start()
    yield started
    started.stop()


@pytest.fixture
def subscription(db: None, receiver: Receiver) -> Subscription:
    return Subscription.objects.create(
        name="OTP service",
        url=receiver.url,
        secrets=[receiver.secret],
        event_types=[STATUS, FINAL, NO_DLR],
    )
