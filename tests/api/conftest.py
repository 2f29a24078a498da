"""Users per role and API clients that authenticate as them with a token."""

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import make_user

ROLES = ("Support", "Campaign manager", "Administrator")


@pytest.fixture(autouse=True)
def _throttle_history_cleared() -> Iterator[None]:
    # Throttling counts requests in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_client() -> Callable[[User], APIClient]:
    def client_for(user: User) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def admin_api(db: None, token_client: Callable[[User], APIClient]) -> APIClient:
    """A superuser: sees full phone numbers, may do everything."""
    return token_client(make_user(superuser=True))


@pytest.fixture
def support_api(db: None, token_client: Callable[[User], APIClient]) -> APIClient:
    """Support staff without the full-phone permission: numbers come back masked."""
    return token_client(make_user("Support", username="support", staff=False))


@pytest.fixture
def sender_api(db: None, token_client: Callable[[User], APIClient]) -> APIClient:
    """The sending service's account: registers and reads messages."""
    user = make_user(
        username="sender",
        perms=("deliveries.add_message", "deliveries.view_message", "deliveries.view_full_phone"),
    )
    return token_client(user)
