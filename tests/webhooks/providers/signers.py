"""Sign test requests the way each provider does, so one suite can drive every adapter.

`sample(provider)` is a documented success payload as that provider sends it (unsigned);
`sign(provider, request, key)` authenticates it with a signing key from `key_for()`, and
`endpoint_secret()` is what the endpoint stores for that key (the same string, except for
Telnyx, whose endpoint keeps the public half of an Ed25519 key pair).
"""

import base64
import hashlib
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.http.response import HttpResponseBase
from django.test import Client

from ...helpers import FIXTURES, fixture_bytes
from .custom_cases import CASES as CUSTOM_CASES
from .custom_cases import provider_of, slug_of
from .signatures import FORM, JSON, SIGNERS, Req, _ed25519, altered

__all__ = [
    "FORM",
    "JSON",
    "SAMPLES",
    "SIGNERS",
    "TOKEN_ONLY",
    "Req",
    "altered",
    "endpoint_secret",
    "key_for",
    "request",
    "sample",
    "send_request",
    "sign",
    "tampered",
]

# provider → (method, fixture, content type) of its documented success example
SAMPLES: dict[str, tuple[str, str, str]] = {
    "smstake": ("POST", "delivered.json", JSON),
    "wavix": ("POST", "sent.json", JSON),
    "twilio": ("POST", "delivered.txt", FORM),
    "vonage": ("GET", "delivered.txt", ""),
    "vonage_messages": ("POST", "delivered.json", JSON),
    "plivo": ("POST", "delivered.txt", FORM),
    "telnyx": ("POST", "delivered.json", JSON),
    "infobip": ("POST", "delivered.json", JSON),
    "sinch": ("POST", "recipient_delivered.json", JSON),
    "messagebird": ("GET", "delivered.txt", ""),
    "kannel": ("GET", "delivered.txt", ""),
    "jasmin": ("POST", "level2_delivered.txt", FORM),
    "standard_webhooks": ("POST", "delivered.json", JSON),
    "gupshup": ("POST", "whatsapp_delivered.json", JSON),
    "exotel": ("POST", "sms_delivered_to_handset.txt", FORM),
    "bandwidth": ("POST", "message_delivered.json", JSON),
    "africastalking": ("POST", "success.txt", FORM),
    "kaleyra": ("POST", "whatsapp_delivered.json", JSON),
    "clickatell": ("GET", "legacy_received_by_recipient_004.txt", ""),
    "whatsapp": ("POST", "delivered.json", JSON),
    "rbm": ("POST", "delivered.json", JSON),
    "azure_acs": ("POST", "delivered.json", JSON),
    "msg91": ("POST", "v2_delivered.txt", FORM),
    "vonage_voice": ("POST", "completed.json", JSON),
    # The custom adapter once per authentication kind (custom_cases.py).
    **{
        case: (method, name, JSON if name.endswith(".json") else ("" if method == "GET" else FORM))
        for case, (_, method, name) in CUSTOM_CASES.items()
    },
}
# Providers that do not sign: a secret token authenticates the sender, nothing covers
# the body (TLS protects it in transit).
TOKEN_ONLY = frozenset(
    {
        "wavix",
        "infobip",
        "kannel",
        "jasmin",
        "azure_acs",
        "msg91",
        "gupshup",
        "exotel",
        "bandwidth",
        "africastalking",
        "kaleyra",
        "clickatell",
        "custom:token",
        "custom:basic",
    }
)


def request(provider: str, name: str, *, slug: str | None = None, method: str = "") -> Req:
    """An unsigned request carrying fixture `name` of `provider`."""
    method = method or SAMPLES[provider][0]
    data = _fixture(provider_of(provider), name)
    path = f"/webhooks/{slug or slug_of(provider)}/"
    if method == "GET":
        return Req("GET", f"{path}?{data.decode()}", b"", "")
    return Req(method, path, data, FORM if name.endswith(".txt") else JSON)


def sample(provider: str, *, slug: str | None = None) -> Req:
    return request(provider, SAMPLES[provider][1], slug=slug)


def key_for(provider: str, label: str = "primary") -> str:
    if provider == "standard_webhooks":
        raw = hashlib.sha256(label.encode()).digest()[:24]
        return "whsec_" + base64.b64encode(raw).decode()
    return f"{provider}-{label}-secret-0123456789"


def endpoint_secret(provider: str, key: str) -> str:
    if provider == "telnyx":
        public = _ed25519(key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(public).decode()
    return key


def sign(provider: str, req: Req, key: str) -> Req:
    return SIGNERS[provider](req, key)


def tampered(req: Req, value: str) -> Req:
    """The signed request with every signature header and parameter replaced by `value`."""
    headers = {**req.headers, **dict.fromkeys(req.auth_headers, value)}
    path, _, query = req.path.partition("?")
    pairs = [
        (k, value if k in req.auth_params else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return replace(req, headers=headers, path=f"{path}?{urlencode(pairs)}" if pairs else path)


def send_request(client: Client, req: Req) -> HttpResponseBase:
    if req.method == "GET":
        return client.get(req.path, headers=req.headers)
    return client.generic(
        req.method, req.path, data=req.body, content_type=req.content_type, headers=req.headers
    )


# Wavix's documented sample (tests/fixtures/wavix/sent.json), for a checkout whose fixtures
# lack it.
_INLINE = {
    ("wavix", "sent.json"): (
        b'{"delivered": null, "error": null, '
        b'"from": "SenderID", "message_id": "62845007-931a-4c3c-a581-6bdeffec75dc", '
        b'"message_type": "sms", "segments_count": 1, "sent": "2025-03-21T08:09:02", '
        b'"status": "sent", "to": "1686xxxxxxx", "tag": "Message tag"}'
    ),
}


def _fixture(provider: str, name: str) -> bytes:
    if (FIXTURES / provider / name).exists() or (provider, name) not in _INLINE:
        return fixture_bytes(provider, name)
    return _INLINE[(provider, name)]
