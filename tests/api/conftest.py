"""Users per role and API clients that authenticate as them with a token."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ROLES = ("Support", "Campaign manager", "Administrator")


@pytest.fixture(autouse=True)
def _throttle_history_cleared() -> Iterator[None]:
    # Throttling counts requests in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        username: str, *, role: str | None = None, perms: tuple[str, ...] = (), **extra: Any
    ) -> User:
        user = User.objects.create_user(username=username, password="pw-not-used", **extra)
        if role:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def token_client() -> Callable[[User], APIClient]:
    def client_for(user: User) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def admin_api(
    make_user: Callable[..., User], token_client: Callable[[User], APIClient]
) -> APIClient:
    """A superuser: sees full phone numbers, may do everything."""
    return token_client(make_user("root", is_superuser=True, is_staff=True))


@pytest.fixture
def support_api(
    make_user: Callable[..., User], token_client: Callable[[User], APIClient]
) -> APIClient:
    """Support staff without the full-phone permission: numbers come back masked."""
    return token_client(make_user("support", role="Support"))


@pytest.fixture
def sender_api(
    make_user: Callable[..., User], token_client: Callable[[User], APIClient]
) -> APIClient:
    """The sending service's account: registers and reads messages."""
    user = make_user(
        "sender",
        perms=("deliveries.add_message", "deliveries.view_message", "deliveries.view_full_phone"),
    )
    return token_client(user)
