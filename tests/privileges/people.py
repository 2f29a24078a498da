"""People as the privilege tables name them, and clients signed in as them."""

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import make_user


def person(who: str) -> User:
    """Someone as the table names them: a role, "no role", "staff, no role" or "superuser"."""
    if who == "superuser":
        return make_user(superuser=True)
    if who in ("no role", "staff, no role"):
        return make_user(staff=who.startswith("staff"))
    return make_user(who)


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def admin_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
