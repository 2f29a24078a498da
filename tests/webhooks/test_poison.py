"""No stored event can hold up another: text the database cannot store is refused or dropped
at parse time, every step of processing fails per event, and every page renders it."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from deliveries.models import Message
from webhooks.inbox import inbox_drain
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker
from ..factories import make_user
from ..helpers import fixture_bytes, requires_postgres, smstake_sign
from ..support import smstake_report

pytestmark = pytest.mark.django_db

LOG = "/admin/webhooks/inboundevent/"
API = "/api/v1/webhook-events/"
INFOBIP_TOKEN = "infobip-token-0123456789"
# JSON escapes: the body is valid UTF-8, the decoded string is not storable.
LONE_SURROGATE = "x\ud800"


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(make_user("Support"))
    return client


@pytest.fixture
def post_infobip(client, db, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(provider="infobip", slug="infobip", secrets=[INFOBIP_TOKEN])

    def post(body: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/webhooks/infobip/?token={INFOBIP_TOKEN}",
                data=body,
                content_type="application/json",
            )
        run_worker()
        return response

    return post


def drain_until_settled() -> None:
    """Drain as often as an event may be attempted, each time past every backoff."""
    for _ in range(settings.INBOX_MAX_ATTEMPTS + 1):
        InboundEvent.objects.filter(state="pending").update(next_attempt_at=None)
        inbox_drain()


def assert_renders_everywhere(client: Client, event: InboundEvent) -> None:
    pages = [f"{LOG}{event.pk}/change/", LOG, f"{API}{event.pk}/", API]
    assert [client.get(page).status_code for page in pages] == [200] * len(pages)


def _infobip(*message_ids: str) -> bytes:
    data = json.loads(fixture_bytes("infobip", "delivered.json"))
    template = data["results"][0]
    data["results"] = [{**template, "messageId": message_id} for message_id in message_ids]
    return json.dumps(data).encode()


def test_a_message_id_the_database_cannot_store_never_holds_up_the_reports_behind_it(
    post_smstake, support
):
    poison = smstake_report(message_id=LONE_SURROGATE)
    goods = [smstake_report(message_id=f"good-{i}") for i in range(3)]

    codes = [post_smstake(body).status_code for body in (poison, *goods)]
    drain_until_settled()

    assert codes == [200, 200, 200, 200]
    assert sorted(Message.objects.values_list("message_id", "status")) == [
        (f"good-{i}", "delivered") for i in range(3)
    ]
    event = InboundEvent.objects.order_by("pk")[0]
    assert (event.state, event.outcome) == ("done", "unparseable")
    assert event.error == "message_id 'x\\ud800' is unusable (it holds a lone surrogate)"
    assert not InboundEvent.objects.filter(state="pending").exists()
    assert_renders_everywhere(support, event)


@requires_postgres
@pytest.mark.postgres
def test_on_postgresql_with_a_broker_the_poison_is_answered_200_and_the_drain_applies_the_rest(
    post_smstake, support
):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker: run with CELERY_BROKER_URL=redis://…")
    test_a_message_id_the_database_cannot_store_never_holds_up_the_reports_behind_it(
        post_smstake, support
    )


def test_one_infobip_result_with_an_unusable_message_id_is_dropped_and_the_others_applied(
    post_infobip, support
):
    response = post_infobip(_infobip("good-1", LONE_SURROGATE, "good-2"))
    after = post_infobip(_infobip("good-3"))
    drain_until_settled()

    assert (response.status_code, after.status_code) == (200, 200)
    assert sorted(Message.objects.values_list("message_id", flat=True)) == [
        "good-1",
        "good-2",
        "good-3",
    ]
    event = InboundEvent.objects.order_by("pk")[0]
    assert (event.state, event.outcome, event.report_count) == ("done", "applied", 2)
    assert event.error == "message_id 'x\\ud800' is unusable (it holds a lone surrogate)"
    assert_renders_everywhere(support, event)


@pytest.mark.parametrize(
    ("fields", "error", "kept"),
    [
        (
            {"message_id": "m" * 300},
            "message_id '" + "m" * 40 + "'… is unusable (longer than 200 characters)",
            None,
        ),
        (
            {"message_id": "m\x00"},
            "message_id 'm\\x00' is unusable (it holds a NUL character)",
            None,
        ),
        (
            {"client_ref": "r" * 300},
            "'m-1': dropped client_ref (longer than 200 characters)",
            {"client_ref": "", "operator": "JIO"},
        ),
        (
            {"operator": "JIO\x00"},
            "'m-1': dropped operator (it holds a NUL character)",
            {"operator": "", "client_ref": "order_ORD2847"},
        ),
        (
            {"operator": "JIO\ud800"},
            "'m-1': dropped operator (it holds a lone surrogate)",
            {"operator": ""},
        ),
        (
            {"submitted_at": "0001-01-01T00:00:00+05:30"},
            "'m-1': dropped submitted_at (out of range)",
            {"submitted_at": None, "operator": "JIO"},
        ),
        (
            {"delivered_at": "0001-01-01T00:00:00Z"},
            "'m-1': dropped event_time (out of range), delivered_at (out of range)",
            {"delivered_at": None, "status": "delivered"},
        ),
    ],
)
def test_a_report_with_one_bad_field_records_what_it_validly_says_and_names_the_field(
    post_smstake, fields, error, kept
):
    post_smstake(smstake_report(**{"message_id": "m-1", **fields}))

    event = InboundEvent.objects.get()

    assert event.state == "done"
    assert event.error == error
    if kept is None:
        assert event.outcome == "unparseable"
        assert not Message.objects.exists()
        return
    assert event.outcome == "applied"
    message = Message.objects.values(*kept).get(message_id="m-1")
    assert message == kept


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(smstake_report(message_id=LONE_SURROGATE), id="escaped-lone-surrogate"),
        pytest.param(b'{"message_id": "x\xed\xa0\x80"}', id="encoded-lone-surrogate"),
        pytest.param(b'{"message_id": "x\xff\xfe"}', id="invalid-utf8"),
        pytest.param(b'{"message_id": "x\x00"}', id="raw-nul"),
        pytest.param(smstake_report(message_id="x\x00"), id="escaped-nul"),
        # Deep enough that walking it recursively fails, or parsing it already does.
        pytest.param(b'{"a": ' * 600 + b"1" + b"}" * 600, id="600-deep"),
        pytest.param(b"[" * 900 + b"]" * 900, id="900-deep"),
        pytest.param(b"\xef\xbb\xbf" + smstake_report(), id="bom"),
        pytest.param(b"to=%2B919876543210&id=%ED%A0%80&x=%00", id="form-with-bad-escapes"),
    ],
)
def test_every_page_and_api_view_renders_any_stored_event(smstake_endpoint, support, body):
    event = InboundEvent.objects.create(
        endpoint=smstake_endpoint,
        received_at=timezone.now(),
        method="POST",
        headers={"content-type": "application/json"},
        body=body,
        auth_ok=True,
        response_code=200,
        state=InboundEvent.State.PENDING,
    )

    drain_until_settled()

    event.refresh_from_db()
    assert event.state in ("done", "failed")
    assert_renders_everywhere(support, event)


def test_drain_inbox_command_survives_a_poison_event(smstake_endpoint):
    _pending(smstake_endpoint, LONE_SURROGATE, "good")

    call_command("drain_inbox")

    assert Message.objects.get().message_id == "good"
    assert not InboundEvent.objects.filter(state="pending").exists()


def _pending(endpoint: WebhookEndpoint, *message_ids: str) -> list[InboundEvent]:
    return [
        InboundEvent.objects.create(
            endpoint=endpoint,
            received_at=timezone.now(),
            method="POST",
            body=smstake_report(message_id=message_id),
            auth_ok=True,
            response_code=200,
            state=InboundEvent.State.PENDING,
        )
        for message_id in message_ids
    ]


def test_an_event_whose_messages_cannot_be_reserved_is_retried_then_parked_alone(
    smstake_endpoint, monkeypatch
):
    from webhooks import inbox

    real = inbox.messages_reserve  # type: ignore[attr-defined]

    def reserve(*, keys, wait_for=()):
        if ("smstake", "poison") in {*keys, *wait_for}:
            raise ValueError("cannot reserve this one")
        return real(keys=keys, wait_for=wait_for)

    monkeypatch.setattr(inbox, "messages_reserve", reserve)
    poison = _pending(smstake_endpoint, "good", "poison", "other")[1]

    inbox_drain()

    poison.refresh_from_db()
    assert (poison.state, poison.outcome, poison.attempts) == ("pending", "error", 1)
    assert poison.error == "ValueError: cannot reserve this one"
    assert poison.next_attempt_at is not None
    assert poison.next_attempt_at > timezone.now()  # backoff
    assert sorted(Message.objects.values_list("message_id", flat=True)) == ["good", "other"]
    drain_until_settled()
    poison.refresh_from_db()
    assert (poison.state, poison.attempts) == ("failed", settings.INBOX_MAX_ATTEMPTS)


def test_processing_after_commit_that_raises_still_answers_the_provider_200(
    client, smstake_endpoint, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from webhooks import inbox

    settings.CELERY_TASK_ALWAYS_EAGER = True  # processed inline, in the request

    def broken(**kwargs):
        raise RuntimeError("processing is broken")

    monkeypatch.setattr(inbox, "_batch_process", broken)
    body = fixture_bytes("smstake", "delivered.json")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/smstake/",
            data=body,
            content_type="application/json",
            headers={"X-SMSTAKE-Signature": smstake_sign(body)},
        )

    assert response.status_code == 200
    assert InboundEvent.objects.get().state == "pending"  # for the sweep or a retry
