"""Fixtures for the dashboard tests: a campaign manager signed in, a day of traffic, and the
daily rollup tier switched off (to compare a tiered read with an hourly one)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from deliveries import analytics, comparison, rollup_reads

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


@pytest.fixture
def hours_only_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to switch the daily tier off for the reads that follow."""
    hourly = rollup_reads.rollup_cells

    def rollup_cells(**kwargs: Any) -> Any:
        return hourly(**{**kwargs, "days": False})

    def switch_off() -> None:
        monkeypatch.setattr(analytics, "rollup_cells", rollup_cells)
        monkeypatch.setattr(comparison, "rollup_cells", rollup_cells)
        monkeypatch.setattr(rollup_reads, "rollup_cells", rollup_cells)

    return switch_off
