"""Health, readiness and metrics, as a load balancer and Prometheus see them."""

import pytest

from webhooks.models import InboundEvent

from ..helpers import fixture_bytes


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would fail the test.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ready_with_an_empty_inbox(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_says_not_ready_when_the_inbox_falls_behind(client, post_smstake, settings):
    settings.READY_MAX_BACKLOG = 0
    client.post(  # stored but, without after-commit callbacks, never processed
        "/webhooks/smstake/", data=b"{}", content_type="application/json"
    )
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    InboundEvent.objects.update(state="pending")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["inbox"] == "behind"


@pytest.mark.django_db
def test_metrics_count_requests_reports_and_the_backlog(client, post_smstake):
    body = fixture_bytes("smstake", "delivered.json")
    post_smstake(body)
    post_smstake(body)
    post_smstake(body, signature="sha256=00")

    text = client.get("/metrics").content.decode()

    assert 'dlrdash_webhook_requests_total{provider="smstake",result="accepted"}' in text
    assert 'dlrdash_webhook_requests_total{provider="smstake",result="unauthorized"}' in text
    assert 'dlrdash_reports_total{outcome="duplicate"}' in text
    assert "dlrdash_inbox_pending 0.0" in text


@pytest.mark.django_db
def test_metrics_can_require_a_bearer_token(client, settings):
    settings.METRICS_TOKEN = "scrape-me"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_json_log_lines_carry_the_inbound_event_id():
    import json
    import logging

    from dlrdash.logs import JsonFormatter

    record = logging.LogRecord(
        "webhooks", logging.INFO, __file__, 1, "event %s rejected", (7,), None
    )
    record.inbound_event = 7

    line = json.loads(JsonFormatter().format(record))

    assert (line["message"], line["inbound_event"], line["level"]) == (
        "event 7 rejected",
        7,
        "INFO",
    )
