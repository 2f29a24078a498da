"""Helpers for the support-tooling tests: users per role and SMSTAKE report bodies."""

import json
from typing import Any

from django.contrib.auth.models import Group, User

from .helpers import fixture_bytes


def user_in(group: str, username: str | None = None) -> User:
    """A staff user in one of the groups the roles migration creates."""
    user = User.objects.create_user(
        username=username or group.lower().replace(" ", "_"), password="pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def smstake_report(**fields: Any) -> bytes:
    """SMSTAKE's documented sample report with some fields changed (None removes a field)."""
    data = json.loads(fixture_bytes("smstake", "delivered.json"))
    data.update(fields)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()
