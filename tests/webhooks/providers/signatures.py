"""How each provider authenticates a request, applied to a test request (`Req`): its
signature scheme or token, one function per scheme, and `altered()` for the security
suite's "changed after signing" case. signers.py picks the key and the sample."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from webhooks.providers.plivo import v3_base

BASE_URL = "http://testserver"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Req:
    """A request before or after signing: what the test client will send."""

    method: str
    path: str  # /webhooks/<slug>/ with its query, if any
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    # Where the signature or token went: what the security suite tampers with.
    auth_headers: tuple[str, ...] = ()
    auth_params: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return BASE_URL + self.path

    def with_query(self, **params: str) -> "Req":
        joiner = "&" if "?" in self.path else "?"
        return replace(self, path=self.path + joiner + urlencode(params))


def _b64_hmac(key: bytes, data: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, data, digest).digest()).decode()


def _with_headers(req: Req, headers: dict[str, str]) -> Req:
    return replace(req, headers={**req.headers, **headers}, auth_headers=tuple(headers))


def _token(req: Req, key: str) -> Req:
    return replace(req.with_query(token=key), auth_params=("token",))


def _basic_auth(req: Req, key: str, user: str = "dlrdash") -> Req:
    """The secret as the basic-auth password, as Bandwidth sends its callback credentials
    (and a custom gateway set up for basic auth, with the user name its mapping names)."""
    token = base64.b64encode(f"{user}:{key}".encode()).decode()
    return _with_headers(req, {"Authorization": f"Basic {token}"})


def _custom_hmac(req: Req, key: str) -> Req:
    digest = hmac.new(key.encode(), req.body, hashlib.sha256).hexdigest()
    return _with_headers(req, {"X-Gateway-Signature": f"sha256={digest}"})


def _custom_hmac_timestamp(req: Req, key: str) -> Req:
    timestamp = str(int(time.time()))
    signature = _b64_hmac(key.encode(), f"{timestamp}:".encode() + req.body, "sha512")
    return _with_headers(req, {"X-Auth-Hash": signature, "X-Auth-Time": timestamp})


def _smstake(req: Req, key: str) -> Req:
    digest = hmac.new(key.encode(), req.body, hashlib.sha256).hexdigest()
    return _with_headers(req, {"X-SMSTAKE-Signature": f"sha256={digest}"})


def _twilio(req: Req, key: str) -> Req:
    fields = sorted(parse_qsl(req.body.decode(), keep_blank_values=True))
    data = req.url + "".join(k + v for k, v in fields)
    signature = base64.b64encode(hmac.new(key.encode(), data.encode(), "sha1").digest())
    return _with_headers(req, {"X-Twilio-Signature": signature.decode()})


def _vonage(req: Req, key: str) -> Req:
    """The md5hash method; `timestamp` is the signing time, as Vonage sets it."""
    now = str(int(time.time()))
    if req.method == "GET":
        params = dict(parse_qsl(urlsplit(req.path).query, keep_blank_values=True))
    else:
        params = {k: str(v) for k, v in json.loads(req.body).items()}
    params["timestamp"] = now
    signed = "".join(
        f"&{k}={v.replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items())
    )
    params["sig"] = hashlib.md5((signed + key).encode(), usedforsecurity=False).hexdigest()
    if req.method == "GET":
        path = urlsplit(req.path).path + "?" + urlencode(params)
        return replace(req, path=path, auth_params=("sig",))
    return replace(req, body=json.dumps(params).encode(), auth_params=("sig",))


def _vonage_messages(req: Req, key: str) -> Req:
    claims = {
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(req.body).hexdigest(),
        "api_key": "abcd1234",
        "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
    token = jwt.encode(claims, key, algorithm="HS256")
    return _with_headers(req, {"Authorization": f"Bearer {token}"})


def _plivo(req: Req, key: str) -> Req:
    nonce = "05429567804466091622"
    fields: dict[str, list[str]] = {}
    for k, v in parse_qsl(req.body.decode(), keep_blank_values=True):
        fields.setdefault(k, []).append(v)
    base = v3_base(req.url, fields) + "." + nonce
    return _with_headers(
        req,
        {
            "X-Plivo-Signature-V3": _b64_hmac(key.encode(), base.encode()),
            "X-Plivo-Signature-V3-Nonce": nonce,
        },
    )


def _ed25519(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _telnyx(req: Req, key: str) -> Req:
    timestamp = str(int(time.time()))
    signature = _ed25519(key).sign(timestamp.encode() + b"|" + req.body)
    return _with_headers(
        req,
        {
            "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
            "telnyx-timestamp": timestamp,
        },
    )


def _sinch(req: Req, key: str) -> Req:
    nonce, timestamp = "01FJA8B4A7BM43YGWSG9GBV067", str(int(time.time()))
    signed = req.body + f".{nonce}.{timestamp}".encode()
    return _with_headers(
        req,
        {
            "x-sinch-webhook-signature": _b64_hmac(key.encode(), signed),
            "x-sinch-webhook-signature-nonce": nonce,
            "x-sinch-webhook-signature-timestamp": timestamp,
            "x-sinch-webhook-signature-algorithm": "HmacSHA256",
        },
    )


def _messagebird(req: Req, key: str) -> Req:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "MessageBird",
        "nbf": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        "url_hash": hashlib.sha256(req.url.encode()).hexdigest(),
    }
    if req.body:
        claims["payload_hash"] = hashlib.sha256(req.body).hexdigest()
    token = jwt.encode(claims, key, algorithm="HS256")
    return _with_headers(req, {"MessageBird-Signature-JWT": token})


def _standard_webhooks(req: Req, key: str) -> Req:
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    secret = base64.b64decode(key.removeprefix("whsec_"))
    signature = _b64_hmac(secret, f"{msg_id}.{timestamp}.".encode() + req.body)
    return _with_headers(
        req,
        {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": f"v1,{signature}",
        },
    )


def _whatsapp(req: Req, key: str) -> Req:
    digest = hmac.new(key.encode(), req.body, hashlib.sha256).hexdigest()
    return _with_headers(req, {"X-Hub-Signature-256": f"sha256={digest}"})


def _rbm_data(req: Req) -> bytes:
    return base64.b64decode(json.loads(req.body)["message"]["data"])


def _rbm(req: Req, key: str) -> Req:
    """Google signs the decoded `message.data`, not the envelope around it."""
    return _with_headers(
        req, {"X-Goog-Signature": _b64_hmac(key.encode(), _rbm_data(req), "sha512")}
    )


def altered(req: Req) -> Req:
    """A signed POST with what its signature covers changed after signing."""
    if req.auth_headers == ("X-Goog-Signature",):  # rbm: the event inside the envelope
        envelope = json.loads(req.body)
        event = _rbm_data(req).replace(b"DELIVERED", b"READ")
        envelope["message"]["data"] = base64.b64encode(event).decode()
        return replace(req, body=json.dumps(envelope).encode())
    return replace(req, body=req.body + b" ")


SIGNERS: dict[str, Callable[[Req, str], Req]] = {
    "smstake": _smstake,
    "wavix": _token,
    "twilio": _twilio,
    "vonage": _vonage,
    "vonage_messages": _vonage_messages,
    "plivo": _plivo,
    "telnyx": _telnyx,
    "infobip": _token,
    "sinch": _sinch,
    "messagebird": _messagebird,
    "kannel": _token,
    "jasmin": _token,
    "standard_webhooks": _standard_webhooks,
    "gupshup": _token,
    "exotel": _token,
    "bandwidth": _basic_auth,
    "africastalking": _token,
    "kaleyra": _token,
    "clickatell": _token,
    "whatsapp": _whatsapp,
    "rbm": _rbm,
    "azure_acs": _token,
    "msg91": _token,
    "vonage_voice": _vonage_messages,  # the same signed JWT
    "custom:token": _token,
    "custom:basic": partial(_basic_auth, user="acme"),
    "custom:hmac": _custom_hmac,
    "custom:hmac_timestamp": _custom_hmac_timestamp,
}
