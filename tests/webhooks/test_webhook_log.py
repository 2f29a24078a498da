"""The webhook log in the admin: redaction, reprocessing, who may read it."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from deliveries.models import Message, StatusEvent
from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.providers import ParseError
from webhooks.providers.smstake import SmstakeProvider

from ..factories import make_user
from ..helpers import SMSTAKE_SECRET, WAVIX_SECRET, smstake_sign
from ..support import smstake_report

pytestmark = pytest.mark.django_db

LOG = "/admin/webhooks/inboundevent/"
ENDPOINTS = "/admin/webhooks/webhookendpoint/"


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(make_user("Support"))
    return client


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(make_user("Administrator"))
    return client


def _reprocess(client: Client, *events: InboundEvent):
    return client.post(
        LOG, {"action": "reprocess", "_selected_action": [e.pk for e in events]}, follow=True
    )


def test_the_log_detail_redacts_signatures_tokens_and_secrets(post_smstake, support):
    body = smstake_report(
        message_id="msg_secret",
        api_token="tok_live_SHOULDNOTSHOW",
        meta={"client_secret": "cs_SHOULDNOTSHOW", "Password": "pw_SHOULDNOTSHOW"},
    )
    post_smstake(body, **{"X-Api-Signature": "sig_SHOULDNOTSHOW"})
    event = InboundEvent.objects.get()

    html = support.get(f"{LOG}{event.pk}/change/").content.decode()

    assert "SHOULDNOTSHOW" not in html
    assert smstake_sign(body).split("=", 1)[1] not in html
    assert SMSTAKE_SECRET not in html
    assert "[redacted]" in html
    # Pretty-printed: one key per line, indented.
    assert "\n  &quot;message_id&quot;: &quot;msg_secret&quot;," in html


def test_a_token_in_the_query_string_never_reaches_the_log_page(post_wavix, support):
    post_wavix(_wavix())
    event = InboundEvent.objects.get()

    html = support.get(f"{LOG}{event.pk}/change/").content.decode()

    assert event.auth_ok
    assert WAVIX_SECRET not in html
    assert "token = [redacted]" in html


def test_a_form_encoded_body_is_shown_decoded_and_redacted(smstake_endpoint, support):
    event = InboundEvent.objects.create(
        endpoint=smstake_endpoint,
        received_at=timezone.now(),
        method="POST",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"smsc=jio&status=DELIVRD&password=hunter2&to=%2B919876543210",
        auth_ok=True,
        response_code=200,
        state=InboundEvent.State.DONE,
        outcome=InboundEvent.Outcome.UNPARSEABLE,
    )

    html = support.get(f"{LOG}{event.pk}/change/").content.decode()

    assert "status = DELIVRD" in html
    assert "to = +91 98••••3210" in html  # Support has no view-full-phone permission
    assert "hunter2" not in html
    assert "password = [redacted]" in html


def test_the_log_lists_auth_result_response_code_outcome_and_error(post_smstake, support):
    post_smstake(smstake_report(), signature="sha256=bad")
    post_smstake(b'{"event": "message.dlr", "status": "delivered"}')

    html = support.get(LOG).content.decode()

    assert "failed: wrong X-SMSTAKE-Signature" in html
    assert "401" in html
    assert "unparseable" in html
    assert "missing message_id" in html
    filtered = support.get(LOG, {"outcome__exact": "unparseable", "received": "1h"})
    assert [e.outcome for e in filtered.context["cl"].result_list] == ["unparseable"]


def test_reprocessing_an_applied_event_changes_nothing(post_smstake, support):
    post_smstake(smstake_report())
    event = InboundEvent.objects.get()
    message = Message.objects.get()

    response = _reprocess(support, event)
    _reprocess(support, event)

    assert "Reprocessed 1 events." in response.content.decode()
    event.refresh_from_db()
    assert (event.state, event.outcome) == ("done", "applied")
    assert StatusEvent.objects.get().inbound_event_id == event.pk
    assert Message.objects.get().updated_at == message.updated_at


def test_a_provider_retry_stays_a_duplicate_when_reprocessed(post_smstake, support):
    body = smstake_report()
    post_smstake(body)
    post_smstake(body)
    first, retry = InboundEvent.objects.order_by("pk")

    _reprocess(support, first, retry)

    first.refresh_from_db()
    retry.refresh_from_db()
    assert (first.outcome, retry.outcome) == ("applied", "duplicate")
    assert StatusEvent.objects.count() == 1


def test_unparseable_then_parser_fix_then_reprocess_applies_exactly_once(
    post_smstake, support, monkeypatch
):
    def broken(self, request):
        raise ParseError("unexpected field layout")

    with monkeypatch.context() as patch:
        patch.setattr(SmstakeProvider, "parse", broken)
        response = post_smstake(smstake_report())
    event = InboundEvent.objects.get()
    assert response.status_code == 200  # authentic: kept and acknowledged, not retried
    assert (event.outcome, event.error) == ("unparseable", "unexpected field layout")
    assert not Message.objects.exists()

    # The parser is fixed (the patch is gone): reprocess, twice.
    _reprocess(support, event)
    _reprocess(support, event)

    event.refresh_from_db()
    assert (event.state, event.outcome, event.error) == ("done", "applied", "")
    message = Message.objects.get()
    assert message.status == "delivered"
    assert [(e.status, e.outcome, e.inbound_event_id) for e in message.events.all()] == [
        ("delivered", "applied", event.pk)
    ]


def test_the_command_reprocesses_unparseable_events_of_one_endpoint_in_a_time_range(
    post_smstake, monkeypatch, wavix_endpoint
):
    with monkeypatch.context() as patch:
        patch.setattr(SmstakeProvider, "parse", lambda self, request: _raise())
        post_smstake(smstake_report(message_id="msg_old"))
        post_smstake(smstake_report(message_id="msg_new"))
    old, new = InboundEvent.objects.order_by("pk")
    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    call_command(
        "reprocess_events", "--outcome", "unparseable", "--endpoint", "smstake", "--since", since
    )
    call_command("reprocess_events", "--outcome", "unparseable", "--endpoint", "wavix")

    assert set(Message.objects.values_list("message_id", flat=True)) == {"msg_new"}
    assert InboundEvent.objects.get(pk=old.pk).outcome == "unparseable"
    assert InboundEvent.objects.get(pk=new.pk).outcome == "applied"


def test_unauthentic_events_are_never_reprocessed(post_smstake, support):
    post_smstake(smstake_report(), signature="sha256=bad")
    event = InboundEvent.objects.get()

    _reprocess(support, event)
    call_command("reprocess_events")

    event.refresh_from_db()
    assert (event.state, event.auth_ok) == ("rejected", False)
    assert not Message.objects.exists()


def test_campaign_managers_see_no_webhook_log():
    client = Client()
    client.force_login(make_user("Campaign manager"))

    assert client.get(LOG).status_code == 403


def test_a_superuser_sees_the_log_without_errors_for_every_row(post_smstake, post_wavix):
    client = Client()
    client.force_login(make_user(superuser=True))
    post_smstake(smstake_report())
    post_smstake(b"\xff\xfe not utf-8")
    post_wavix(_wavix())

    for event in InboundEvent.objects.all():
        assert client.get(f"{LOG}{event.pk}/change/").status_code == 200
    assert client.get(LOG).status_code == 200


def _raise() -> None:
    raise ParseError("unexpected field layout")


def _wavix() -> bytes:
    return json.dumps(
        {
            "message_id": "0e3b3d6c-6e2f-4b3c-9f61-1d2d3e4f5a6b",
            "status": "sent",
            "to": "919876543210",
            "from": "SenderID",
            "sent": "2026-06-30T04:45:02",
            "message_type": "sms",
            "segments_count": 1,
        }
    ).encode()


def test_the_endpoint_admin_does_not_break_for_a_new_endpoint(administrator):
    response = administrator.post(
        f"{ENDPOINTS}add/",
        {"provider": "wavix", "slug": "wavix-2", "active": "on", "add_secret": "tok_abcdefgh1234"},
    )

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(slug="wavix-2").secrets == ["tok_abcdefgh1234"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (LOG, {"q": "not-a-number"}),
        (LOG, {"q": "12"}),
        (LOG, {"received": "forever"}),
        ("/admin/deliveries/message/", {"q": "%_' OR 1=1 --"}),
        ("/admin/deliveries/message/", {"no_final_after": "999", "has_error": "maybe"}),
        ("/admin/deliveries/message/", {"q": "+" + "9" * 40}),
        ("/trace/", {"q": "\x00"}),
        ("/trace/", {"q": "msg\x00_1"}),
        ("/admin/deliveries/message/", {"q": "a\x00b", "operator": "JIO\x00"}),
        ("/admin/deliveries/message/", {"channel__exact": "\x00"}),
        (LOG, {"outcome__exact": "\x00"}),
        ("/admin/webhooks/webhookendpoint/", {"q": "\x00"}),
    ],
)
def test_odd_admin_and_trace_input_is_never_a_server_error(smstake_endpoint, url, params):
    client = Client()
    client.force_login(make_user(superuser=True))

    assert client.get(url, params).status_code < 500


def test_the_roles_migration_creates_the_three_groups(roles):
    from django.contrib.auth.models import Group

    perms = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }

    assert {"deliveries.view_message", "webhooks.change_inboundevent"} <= perms["Support"]
    assert "deliveries.view_full_phone" not in perms["Support"]
    assert {"deliveries.change_campaign", "deliveries.view_message"} <= perms["Campaign manager"]
    assert "webhooks.view_inboundevent" not in perms["Campaign manager"]
    assert {
        "deliveries.view_full_phone",
        "webhooks.change_webhookendpoint",
        "auth.change_user",
    } <= perms["Administrator"]
