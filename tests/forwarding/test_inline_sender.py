"""Without a broker (`make run`), the web process sends on a background thread."""

import pytest

from forwarding.models import FINAL, Subscription
from webhooks.models import WebhookEndpoint

from ..helpers import SMSTAKE_SECRET, fixture_bytes, smstake_sign


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_report_is_forwarded_by_the_web_process_itself(
    client, receiver, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.FORWARDING_INLINE_SENDER = True
    WebhookEndpoint.objects.create(provider="smstake", slug="smstake", secrets=[SMSTAKE_SECRET])
    Subscription.objects.create(
        name="orders", url=receiver.url, secrets=[receiver.secret], event_types=[FINAL]
    )
    body = fixture_bytes("smstake", "delivered.json")

    answer = client.post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body)},
    )

    assert answer.status_code == 200
    (event,) = receiver.wait_for(1)  # sent by the thread, not by this test
    assert event["type"] == FINAL
    settings.FORWARDING_INLINE_SENDER = False
