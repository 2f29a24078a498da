"""An operator parks, discards or reprocesses events from the webhook log."""

import pytest
from django.test import Client
from django.utils import timezone

from deliveries.models import Message
from webhooks.inbox import inbox_drain
from webhooks.models import InboundEvent, WebhookEndpoint

from ..factories import make_user
from ..support import smstake_report

pytestmark = pytest.mark.django_db

LOG = "/admin/webhooks/inboundevent/"


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(make_user("Support", username="asha"))
    return client


def _event(endpoint: WebhookEndpoint, message_id: str, **fields: object) -> InboundEvent:
    values = {
        "endpoint": endpoint,
        "received_at": timezone.now(),
        "method": "POST",
        "body": smstake_report(message_id=message_id),
        "auth_ok": True,
        "response_code": 200,
        "state": InboundEvent.State.PENDING,
        **fields,
    }
    return InboundEvent.objects.create(**values)


def _action(client: Client, action: str, *events: InboundEvent) -> str:
    response = client.post(
        LOG, {"action": action, "_selected_action": [e.pk for e in events]}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_parked_event_is_no_longer_retried_and_says_who_parked_it(smstake_endpoint, support):
    event = _event(smstake_endpoint, "m-1", attempts=2, outcome="error", error="Boom: again")

    html = _action(support, "park", event)
    inbox_drain()

    event.refresh_from_db()
    assert "1 events parked." in html
    assert (event.state, event.next_attempt_at) == ("failed", None)
    assert event.error.startswith("parked by asha at ")
    assert event.error.endswith("; before: Boom: again")
    assert not Message.objects.exists()


def test_a_discarded_event_keeps_its_body_and_is_never_processed(smstake_endpoint, support):
    pending = _event(smstake_endpoint, "m-1")
    parked = _event(smstake_endpoint, "m-2", state=InboundEvent.State.FAILED)

    html = _action(support, "discard", pending, parked)
    inbox_drain()

    assert "2 events discarded." in html
    for event, message_id in ((pending, "m-1"), (parked, "m-2")):
        event.refresh_from_db()
        assert event.state == "discarded"
        assert event.error.startswith("discarded by asha at ")
        assert bytes(event.body) == smstake_report(message_id=message_id)
    assert not Message.objects.exists()


def test_an_event_already_applied_is_neither_parked_nor_discarded(smstake_endpoint, support):
    done = _event(smstake_endpoint, "m-1", state=InboundEvent.State.DONE, outcome="applied")

    parked = _action(support, "park", done)
    discarded = _action(support, "discard", done)

    done.refresh_from_db()
    assert (done.state, done.error) == ("done", "")
    assert "0 events parked; the 1 others were not pending." in parked
    assert "0 events discarded; the 1 others were not pending or parked." in discarded


def test_reprocessing_a_poison_event_answers_200_and_the_inbox_keeps_flowing(
    smstake_endpoint, support
):
    # As stored before reports were checked: parked after failing every attempt.
    poison = _event(
        smstake_endpoint,
        "x\ud800",
        state=InboundEvent.State.FAILED,
        outcome="error",
        attempts=5,
        error="UnicodeEncodeError: surrogates not allowed",
    )

    html = _action(support, "reprocess", poison)
    good = _event(smstake_endpoint, "good")
    inbox_drain()

    poison.refresh_from_db()
    good.refresh_from_db()
    assert "Reprocessed 1 events." in html
    assert (poison.state, poison.outcome) == ("done", "unparseable")
    assert (good.state, good.outcome) == ("done", "applied")


def test_support_sees_the_park_and_discard_actions(smstake_endpoint, support):
    _event(smstake_endpoint, "m-1")

    html = support.get(LOG).content.decode()

    assert 'value="park"' in html
    assert 'value="discard"' in html
