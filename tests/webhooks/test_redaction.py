"""No full number, credential or message text on any surface of the webhook log.

One table of requests, sent through the real receiving view, signed as each provider
signs; every surface is checked against it: the stored row, the admin's change page and
list as a Support user, and the webhook-events API list and detail for a Support token.
Then the storage rewrite itself: every fixture still parses into the same reports.
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.providers import PROVIDERS, InboundRequest, get_provider
from webhooks.redaction import (
    REDACTED,
    body_to_show,
    body_to_store,
    headers_redacted,
    query_to_store,
)

from ..factories import make_user
from ..helpers import FIXTURES, fixture_bytes
from .providers.custom_cases import case_for_fixture, mapping_of
from .providers.signers import FORM, SAMPLES, Req, endpoint_secret, key_for, request, sign

pytestmark = pytest.mark.django_db

LOG = "/admin/webhooks/inboundevent/"
EVENTS = "/api/v1/webhook-events/"
OTP = "Your code is 4821"
RECEIPT = (
    "id:1387603271 sub:001 dlvrd:001 submit date:2311221015 done date:2311221016 "
    f"stat:DELIVRD err:000 text:{OTP}"
)


@dataclass(frozen=True)
class Case:
    provider: str
    unsigned: Callable[[], Req]
    numbers: tuple[str, ...] = ()  # digits only: no surface may show them in a row
    texts: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # added after signing


def _json(provider: str, name: str, bom: bool = False, **extra: object) -> Callable[[], Req]:
    def build() -> Req:
        data = json.loads(fixture_bytes(provider, name))
        body = json.dumps({**data, **extra}).encode()
        return Req("POST", f"/webhooks/{provider}/", b"\xef\xbb\xbf" * bom + body)

    return build


def _fixture(provider: str, name: str, extra: str = "") -> Callable[[], Req]:
    def build() -> Req:
        req = request(provider, name)
        if req.method == "GET":
            return replace(req, path=req.path + extra)
        return replace(req, body=req.body + extra.encode())

    return build


BASIC = base64.b64encode(f"x:{key_for('infobip')}".encode()).decode()

CASES = {
    "json: numbers at any depth, an authorization key, an api_key, a receipt": Case(
        "smstake",
        _json(
            "smstake",
            "delivered.json",
            meta={
                "contacts": [{"phone": "+919876500001"}, {"msisdn": 919876500002}],
                "authorization": "Bearer sk_live_AUTHZ0001",
            },
            api_key="ak_live_APIKEY0001",
            error_message="number +919876500003 is on the DND list",
            receipt=RECEIPT,
        ),
        numbers=("919876543210", "919876500001", "919876500002", "919876500003"),
        texts=(OTP,),
        secrets=("sk_live_AUTHZ0001", "ak_live_APIKEY0001"),
    ),
    "json: a list of recipients (Sinch)": Case(
        "sinch", _fixture("sinch", "batch_full.json"), numbers=("46701234569", "46701234570")
    ),
    "json: a body that starts with a byte order mark": Case(
        "smstake",
        _json("smstake", "whatsapp_read.json", bom=True, text=OTP),
        numbers=("919876543210",),
        texts=(OTP,),
    ),
    "json: a WhatsApp message echoed, nested": Case(
        "smstake",
        _json(
            "smstake",
            "whatsapp_read.json",
            message={"type": "text", "text": {"body": OTP}, "from": "+919876500004"},
        ),
        numbers=("919876543210", "919876500004"),
        texts=(OTP,),
    ),
    "json: message text and numbers in objects (Telnyx)": Case(
        "telnyx",
        _fixture("telnyx", "delivered.json"),
        numbers=("12125559000", "12125559001"),
        texts=("Hello there!",),
    ),
    "json: a WhatsApp status with its text and a bearer token (Vonage Messages)": Case(
        "vonage_messages",
        _json("vonage_messages", "whatsapp_read.json", text=OTP),
        numbers=("447700900002", "447700900099"),
        texts=(OTP,),
    ),
    "json: the token in an authorization header (Infobip)": Case(
        "infobip",
        _fixture("infobip", "delivered.json"),
        numbers=("41793026727", "41793026834"),
        secrets=(BASIC,),
        headers={"Authorization": f"Basic {BASIC}"},
    ),
    "form: an echoed Body and WhatsApp numbers (Twilio)": Case(
        "twilio",
        _fixture("twilio", "whatsapp_read.txt", "&Body=Your+code+is+4821"),
        numbers=("15558675312", "14155238886"),
        texts=(OTP,),
    ),
    "form: Jasmin's text=, the token in the query string": Case(
        "jasmin", _fixture("jasmin", "level2_delivered.txt"), texts=(OTP,)
    ),
    "query: Kannel's %A receipt with text:, the number, token=": Case(
        "kannel", _fixture("kannel", "delivered.txt"), numbers=("919876543210",), texts=(OTP,)
    ),
    "query: Vonage's api-key, sig and msisdn": Case(
        "vonage",
        _fixture("vonage", "delivered.txt"),
        numbers=("447700900000",),
        secrets=("abcd1234",),
    ),
}


@pytest.fixture(params=list(CASES.values()), ids=list(CASES.keys()))
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@dataclass(frozen=True)
class Logged:
    """A case once received: its event, and what no surface may show."""

    event: InboundEvent
    secrets: list[str]
    texts: list[str]
    numbers: tuple[str, ...]

    def leaks(self, shown: str, *, numbers: bool = True) -> list[str]:
        forbidden = [*self.secrets, *self.texts, *(self.numbers if numbers else ())]
        return [value for value in forbidden if value in shown]


@pytest.fixture
def logged(case: Case, send) -> Logged:
    provider = case.provider
    WebhookEndpoint.objects.create(
        provider=provider, slug=provider, secrets=[endpoint_secret(provider, key_for(provider))]
    )
    signed = sign(provider, case.unsigned(), key_for(provider))
    signed = replace(signed, headers={**signed.headers, **case.headers})
    assert send(signed).status_code == 200
    return Logged(
        InboundEvent.objects.get(),
        secrets=[key_for(provider), *case.secrets, *_auth_values(provider, signed)],
        texts=[variant for text in case.texts for variant in (text, quote(text), _plus(text))],
        numbers=case.numbers,
    )


def _auth_values(provider: str, req: Req) -> list[str]:
    """The signature and token values the provider sent."""
    declared = {name.lower() for name in PROVIDERS[provider].secret_headers}
    values = [v for k, v in req.headers.items() if k.lower() in declared]
    query = dict(parse_qsl(urlsplit(req.path).query))
    values += [query[name] for name in req.auth_params if name in query]
    # "Bearer <jwt>", "sha256=<hex>": the credential alone, too.
    parts = [p for v in values for p in (v, v.split()[-1], v.partition("=")[2])]
    return [part for part in parts if len(part) >= 8]


def _plus(text: str) -> str:
    return text.replace(" ", "+")


@pytest.fixture
def support_user() -> User:
    return make_user("Support")


@pytest.fixture
def support_admin(support_user: User) -> Client:
    client = Client()
    client.force_login(support_user)
    return client


@pytest.fixture
def support_api(support_user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=support_user).key}")
    return client


def test_the_stored_row_keeps_no_credential_and_no_message_text(logged):
    event = logged.event

    stored = bytes(event.body).decode("utf-8-sig") + event.query_string + json.dumps(event.headers)

    # Numbers are kept: reports are parsed from the stored request, later too.
    assert logged.leaks(stored, numbers=False) == []
    assert (event.state, event.outcome) == ("done", "applied")


def test_the_admin_page_shows_support_no_number_credential_or_message_text(logged, support_admin):
    page = support_admin.get(f"{LOG}{logged.event.pk}/change/")

    assert page.status_code == 200
    assert logged.leaks(page.content.decode()) == []


def test_the_admin_list_shows_support_no_number_credential_or_message_text(logged, support_admin):
    page = support_admin.get(LOG)

    assert page.status_code == 200
    assert logged.leaks(page.content.decode()) == []


def test_the_api_list_shows_support_no_number_credential_or_message_text(logged, support_api):
    response = support_api.get(EVENTS)

    assert response.status_code == 200
    assert logged.leaks(json.dumps(response.json(), ensure_ascii=False)) == []


def test_the_api_detail_shows_support_no_number_credential_or_message_text(logged, support_api):
    response = support_api.get(f"{EVENTS}{logged.event.pk}/")

    assert response.status_code == 200
    assert logged.leaks(json.dumps(response.json(), ensure_ascii=False)) == []


def test_an_administrator_sees_full_numbers_but_still_no_message_text(send):
    WebhookEndpoint.objects.create(provider="kannel", slug="kannel", secrets=[key_for("kannel")])
    send(sign("kannel", request("kannel", "delivered.txt"), key_for("kannel")))
    client = Client()
    client.force_login(make_user("Administrator"))

    html = client.get(f"{LOG}{InboundEvent.objects.get().pk}/change/").content.decode()

    assert "to = +919876543210" in html
    assert "text:[redacted: 17 chars]" in html
    assert OTP not in html


# --- What storage does to a request ---------------------------------------------------

FIXTURE_FILES = sorted(
    path.relative_to(FIXTURES).as_posix()
    for path in FIXTURES.glob("*/*")
    if path.parent.name in PROVIDERS
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
