"""Alert webhook destinations: never inside our network, and sent by a worker of their own."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alerts.models import AlertRule
from dlrdash.celery import app

from ..factories import make_user

pytestmark = pytest.mark.django_db

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


@pytest.mark.parametrize(
    "url", [METADATA, "http://127.0.0.1:8000/admin/", "http://localhost/", "http://[::1]:6379/"]
)
def test_a_rule_posting_inside_our_network_is_refused_over_the_api(url: str) -> None:
    client = APIClient()
    token = Token.objects.create(user=make_user("Campaign manager"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post("/api/v1/alert-rules/", {"name": "r", "webhook_url": url}, format="json")

    assert response.status_code == 400
    [message] = response.json()["webhook_url"]
    assert "which is not allowed (OUTBOUND_ALLOWED_HOSTS)" in message
    assert not AlertRule.objects.exists()


def test_the_model_refuses_it_too_so_the_admin_form_does() -> None:
    rule = AlertRule(name="r", webhook_url=METADATA)

    with pytest.raises(ValidationError) as refused:
        rule.full_clean()

    assert refused.value.message_dict["webhook_url"] == [
        "169.254.169.254 is a cloud metadata address, which is not allowed (OUTBOUND_ALLOWED_HOSTS)"
    ]


def test_a_listed_internal_receiver_may_be_saved(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]

    AlertRule(name="r", webhook_url="http://127.0.0.1:9000/hook").full_clean()


def test_notifications_go_to_their_own_queue_not_the_report_workers() -> None:
    def queue(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert queue("alerts.tasks.deliver_notifications") == "outbound"
    assert queue("forwarding.tasks.drain") == "outbound"
    assert queue("webhooks.tasks.drain_inbox") == app.conf.task_default_queue
