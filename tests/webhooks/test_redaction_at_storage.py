"""What storing a request does to it: message text and credentials are cut from any shape of
body, and every provider fixture still parses into the same reports from the stored bytes.
"""

import importlib
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from deliveries.models import Message, StatusEvent
from webhooks.providers import PROVIDERS, InboundRequest, get_provider
from webhooks.redaction import (
    body_to_show,
    body_to_store,
    headers_redacted,
    query_to_store,
)
from webhooks.redaction_rules import REDACTED

from ..helpers import FIXTURES, fixture_bytes
from .providers.custom_cases import case_for_fixture, mapping_of
from .providers.signers import FORM, SAMPLES
from .test_redaction import OTP, RECEIPT

pytestmark = pytest.mark.django_db

FIXTURE_FILES = sorted(
    path.relative_to(FIXTURES).as_posix()
    for path in FIXTURES.glob("*/*")
    if path.parent.name in PROVIDERS and path.suffix != ".md"  # not SOURCES.md
)


def _stored_request(provider: str, name: str, *, stored: bool) -> InboundRequest:
    """The request as `_event_parse` rebuilds it from the row, before or after storage."""
    data = fixture_bytes(provider, name)
    get = SAMPLES[case_for_fixture(provider, name)][0] == "GET" and name.endswith(".txt")
    query, body = (data.decode(), b"") if get else ("", data)
    if stored:
        query, body = (
            query_to_store(query, provider=provider),
            body_to_store(body, provider=provider),
        )
    content_type = FORM if name.endswith(".txt") else "application/json"
    return InboundRequest(
        method="GET" if get else "POST",
        url="",
        headers={"content-type": content_type},
        query=parse_qs(query, keep_blank_values=True),
        body=body,
    )


@pytest.mark.parametrize("fixture", FIXTURE_FILES)
def test_every_fixture_parses_into_the_same_reports_once_stored(fixture):
    provider, name = fixture.split("/")
    adapter = get_provider(provider, mapping_of(case_for_fixture(provider, name)))

    before = adapter.parse(_stored_request(provider, name, stored=False))
    after = adapter.parse(_stored_request(provider, name, stored=True))

    # Kannel quotes the receipt as the error message: its text goes, the rest stays.
    assert [replace(r, error_message="") for r in after] == [
        replace(r, error_message="") for r in before
    ]
    for old, new in zip(before, after, strict=True):
        assert new.error_message == old.error_message or OTP[:-4] not in new.error_message


@pytest.mark.parametrize(
    ("fixture", "kept"),
    [
        ("smstake/delivered.json", True),
        ("infobip/delivered.json", True),
        ("twilio/delivered.txt", True),
        ("telnyx/delivered.json", False),
        ("jasmin/level2_delivered.txt", False),
    ],
)
def test_a_body_with_nothing_to_redact_is_stored_byte_for_byte(fixture, kept):
    body = (FIXTURES / fixture).read_bytes()
    provider = Path(fixture).parent.name

    stored = body_to_store(body, provider=provider)

    assert (stored == body) is kept
    assert body_to_store(stored, provider=provider) == stored  # storing again changes nothing


def test_the_length_of_a_message_text_survives_storing_and_showing():
    stored = body_to_store(json.dumps({"text": OTP, "receipt": RECEIPT}).encode(), provider="x")

    shown = json.loads(body_to_show(stored, provider="x", mask_phones=True))

    assert shown == {
        "text": "[redacted: 17 chars]",
        "receipt": RECEIPT.replace(OTP, "[redacted: 17 chars]"),
    }


def test_an_error_objects_message_is_a_diagnosis_and_is_kept():
    body = fixture_bytes("wavix", "rejected.json")

    shown = json.loads(body_to_show(body, provider="wavix", mask_phones=True))

    assert shown["error"]["message"] == "Message filtered by carrier"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"\\u0074ext": "Your code is 4821"}', id="an escaped key"),
        pytest.param(b"[" * 900 + b'{"text": "Your code is 4821"}' + b"]" * 900, id="900 deep"),
        pytest.param(b"[" * 5000 + b'{"text": "Your code is 4821"}', id="too deep to parse"),
        pytest.param(b'{"to": "+919876543210", "text": "Your code is 4821', id="cut short"),
        pytest.param(RECEIPT.encode(), id="a bare receipt"),
        pytest.param(b"text=Your+code+is+4821&to=%2B919876543210", id="a form"),
    ],
)
def test_message_text_is_found_in_any_shape_of_body(body):
    stored = body_to_store(body, provider="smstake")
    shown = body_to_show(stored, provider="smstake", mask_phones=True, pretty=True)

    assert "4821" not in stored.decode() and "4821" not in shown
    assert "9876543210" not in shown


def test_a_lone_surrogate_is_kept_as_it_arrived_and_shown_escaped():
    body = b'{"message_id": "x\\ud800", "status": "delivered", "text": "hi"}'

    stored = body_to_store(body, provider="smstake")
    shown = body_to_show(stored, provider="smstake", mask_phones=True)

    assert json.loads(stored)["message_id"] == "x\ud800"
    shown.encode("utf-8")  # renderable
    assert json.loads(shown)["text"] == "[redacted: 2 chars]"


def test_credentials_are_redacted_in_headers_queries_and_bodies_alike():
    form = body_to_store(b"api_key=k1&Password=k2&x-api-key=k3&sig=k4&id=1", provider="vonage")
    query = query_to_store("token=k5&apikey=k6&id=1", provider="wavix")
    headers = headers_redacted(
        {"authorization": "Basic k7", "x-api-key": "k8", "cookie": "k9", "accept": "*/*"},
        provider="wavix",
    )

    assert parse_qsl(form.decode()) == [
        ("api_key", REDACTED),
        ("Password", REDACTED),
        ("x-api-key", REDACTED),
        ("sig", REDACTED),
        ("id", "1"),
    ]
    assert parse_qsl(query) == [("token", REDACTED), ("apikey", REDACTED), ("id", "1")]
    assert headers == {"authorization": REDACTED, "x-api-key": REDACTED, "accept": "*/*"}


def test_receipts_stored_before_text_was_cut_lose_their_text_in_the_upgrade():
    migration = importlib.import_module("webhooks.migrations.0008_receipt_texts_redacted")
    receipt = f"id:7731 sub:001 dlvrd:000 stat:UNDELIV err:034 text:{OTP}"
    message = Message.objects.create(provider="kannel", message_id="7731", error_message=receipt)
    event = StatusEvent.objects.create(
        message=message,
        status="undelivered",
        error_message=receipt,
        received_at=timezone.now(),
        outcome="applied",
        dedup_key="k7731",
    )

    migration.receipt_texts_redact(django_apps, None)

    message.refresh_from_db()
    event.refresh_from_db()
    cut = "id:7731 sub:001 dlvrd:000 stat:UNDELIV err:034 text:[redacted: 17 chars]"
    assert message.error_message == event.error_message == cut
