"""The outbox backlog in /metrics and /readyz."""

import pytest

from .test_sending import _delivered

pytestmark = pytest.mark.django_db


def test_the_outbox_backlog_is_in_metrics_and_readyz_without_failing_readiness(
    client, subscription
):
    _delivered()  # two notifications, not sent yet

    metrics = client.get("/metrics").content.decode()
    ready = client.get("/readyz")

    assert "dlrdash_outbox_pending 2.0" in metrics
    assert "dlrdash_outbox_overdue_seconds" in metrics
    assert ready.status_code == 200
    assert ready.json()["checks"]["outbox_backlog"] == 2
