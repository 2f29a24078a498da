"""The receiving view: every input gets a clear answer, and nothing authentic is lost."""

import json
from unittest import mock

import pytest
from django.db import OperationalError

from deliveries.models import Message, StatusEvent
from webhooks.models import InboundEvent

from ..helpers import fixture_bytes

pytestmark = pytest.mark.django_db


def seed_report(**changes: object) -> bytes:
    payload = json.loads(fixture_bytes("smstake", "delivered.json"))
    payload.update(changes)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b"null", "expected a JSON object, got NoneType"),
        (b'"delivered"', "expected a JSON object, got str"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (json.dumps({"status": "delivered"}).encode(), "missing message_id"),
    ],
    ids=["invalid-json", "array", "null", "scalar", "empty", "non-utf8", "deep", "no-id"],
)
def test_authentic_but_unparseable_input_is_kept_and_answered_200(post_smstake, body, error):
    response = post_smstake(body)

    assert response.status_code == 200  # a retry would not help; the event is kept
    event = InboundEvent.objects.get()
    assert bytes(event.body) == body
    assert (event.state, event.outcome) == ("done", "unparseable")
    assert error in event.error
    assert not Message.objects.exists()


def test_an_unknown_status_is_stored_raw_and_mapped_to_unknown(post_smstake):
    post_smstake(seed_report(status="teleported", status_code="XYZ"))

    message = Message.objects.get()
    assert (message.status, message.provider_status, message.provider_code) == (
        "unknown",
        "teleported",
        "XYZ",
    )


def test_delivered_arriving_before_sent_stays_delivered(post_smstake):
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    post_smstake(fixture_bytes("smstake", "sent.json"))

    message = Message.objects.get()
    assert message.status == "delivered"
    outcomes = list(message.events.order_by("id").values_list("status", "outcome"))
    assert outcomes == [("delivered", "applied"), ("sent", "out_of_order")]
    assert InboundEvent.objects.latest("id").outcome == "out_of_order"


def test_the_same_report_twenty_times_is_recorded_once(post_smstake):
    body = fixture_bytes("smstake", "delivered.json")

    codes = {post_smstake(body).status_code for _ in range(20)}

    assert codes == {200}
    assert StatusEvent.objects.count() == 1
    assert InboundEvent.objects.count() == 20  # every request is in the log
    assert InboundEvent.objects.filter(outcome="duplicate").count() == 19


def test_an_oversized_body_is_refused_with_413(post_smstake, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024

    response = post_smstake(seed_report(error_message="x" * 2000))

    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_head_answers_200_and_other_methods_405(client, smstake_endpoint):
    assert client.head("/webhooks/smstake/").status_code == 200
    for method in ("get", "put", "delete", "patch"):
        response = getattr(client, method)("/webhooks/smstake/")
        assert response.status_code == 405, method
        assert "POST" in response["Allow"]


def test_an_unknown_or_inactive_slug_is_404(client, smstake_endpoint):
    assert (
        client.post("/webhooks/nope/", data=b"{}", content_type="application/json").status_code
        == 404
    )
    smstake_endpoint.active = False
    smstake_endpoint.save()
    assert (
        client.post("/webhooks/smstake/", data=b"{}", content_type="application/json").status_code
        == 404
    )


def test_the_webhook_needs_no_csrf_token(smstake_endpoint, post_smstake):
    # The test client skips CSRF checks unless told to enforce them.
    from django.test import Client

    from ..helpers import smstake_sign

    body = fixture_bytes("smstake", "delivered.json")
    response = Client(enforce_csrf_checks=True).post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body)},
    )
    assert response.status_code == 200


def test_when_the_event_cannot_be_stored_it_answers_503_so_the_provider_retries(post_smstake):
    with mock.patch(
        "webhooks.receiving.inbound_event_insert", side_effect=OperationalError("db down")
    ):
        response = post_smstake(fixture_bytes("smstake", "delivered.json"))

    assert response.status_code == 503
    assert response["Retry-After"]
    assert not InboundEvent.objects.exists()


def test_a_processing_failure_never_changes_the_answer(post_smstake):
    with mock.patch("webhooks.inbox.reports_apply", side_effect=RuntimeError("bug")):
        response = post_smstake(fixture_bytes("smstake", "delivered.json"))

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.state, event.outcome, event.attempts) == ("pending", "error", 1)
    assert "RuntimeError: bug" in event.error
    assert event.next_attempt_at is not None


def test_an_event_already_committed_is_not_stored_again_when_the_endpoint_hint_fails(
    post_smstake,
):
    # The event's INSERT succeeds; the later last_received_at UPDATE meets a connection
    # that died with a database restart. Retrying would store the event a second time.
    from django.db.models.query import QuerySet

    real_update = QuerySet.update

    def update(queryset, **fields):
        if "last_received_at" in fields:
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **fields)

    with mock.patch.object(QuerySet, "update", update):
        response = post_smstake(fixture_bytes("smstake", "delivered.json"))

    assert response.status_code == 200
    assert InboundEvent.objects.count() == 1
