"""Fixtures for the dashboard tests: a campaign manager signed in, and a day of traffic."""

import pytest
from django.test import Client
from django.utils import timezone

from ..factories import make_user
from .traffic import traffic_apply


@pytest.fixture
def manager_client(db: None) -> Client:
    client = Client()
    client.force_login(make_user("Campaign manager"))
    return client


@pytest.fixture
def traffic(db: None) -> None:
    traffic_apply(messages=200, seed=11, now=timezone.now())
