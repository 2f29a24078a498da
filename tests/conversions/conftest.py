"""The sending service's API client, allowed to report conversions."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import make_user


@pytest.fixture
def token_client() -> Callable[[User], APIClient]:
    def client_for(user: User) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def sender_api(db: None, token_client: Callable[[User], APIClient]) -> APIClient:
    """The sending service's account: registers messages and reports conversions."""
    user = make_user(
        username="sender", perms=("deliveries.add_message", "conversions.add_conversion")
    )
    return token_client(user)
