"""No full number, credential or message text on any surface of the webhook log.

One table of requests, sent through the real receiving view, signed as each provider
signs; every surface is checked against it: the stored row, the admin's change page and
list as a Support user, and the webhook-events API list and detail for a Support token.
What storage does to a request is in test_redaction_at_storage.py.
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.providers import PROVIDERS

from ..factories import make_user
from ..helpers import fixture_bytes
from .providers.signers import Req, endpoint_secret, key_for, request, sign

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
