"""Vonage (Nexmo) SMS API delivery receipts.

Documentation: https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts
(fields: `messageId`, `msisdn`, `to`, `network-code`, `price` — the message's cost, in the
account's currency, euros unless Vonage set the account up otherwise — `status`,
`err-code`, `scts`, `message-timestamp`, `client-ref`) and
https://developer.vonage.com/en/getting-started/concepts/signing-messages (the signed
`sig` parameter). The receipt arrives as a GET query, a POST form or a POST JSON object,
as set in the dashboard. `sig` is computed over every other parameter, sorted by name, as
`&name=value` with `&` and `=` in values replaced by `_`: MD5 of that string followed by
the signature secret ("md5hash"), or an HMAC (MD5, SHA-1, SHA-256, SHA-512) of it keyed by
the secret. Checked against the `md5hash` vector of Vonage's SDK signature tests (params
a=1, b=2, timestamp=1461605396, secret "secret").

Fixtures (tests/fixtures/vonage/): `delivered.txt` (a GET query) and
`failed_expired.json` (POST-JSON, err-code 27 = absent subscriber), with the documented
fields; values are ours, numbers from Vonage's reserved example range.
"""

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    constant_time_equal,
    parse_time,
    text,
    timestamp_check,
)
from .prices import reported_price
from .smpp import receipt_date

STATUS_MAP: dict[str, Status] = {
    "accepted": Status.SENT,
    "buffered": Status.SENT,
    "delivered": Status.DELIVERED,
    "expired": Status.EXPIRED,
    "failed": Status.FAILED,
    "rejected": Status.REJECTED,
    "unknown": Status.UNKNOWN,
}
HMAC_DIGESTS = ("md5", "sha1", "sha256", "sha512")
TIMESTAMP_TOLERANCE = 300  # seconds; the signing guide asks for five minutes


# The receipt's `price` carries no currency: Vonage accounts are billed in euros.
VONAGE_CURRENCY = "EUR"


class VonageProvider(Provider):
    name = "vonage"
    label = "Vonage SMS API"
    methods = ("GET", "POST")
    secret_params = ("token", "sig")
    setup_help = (
        "Vonage API Dashboard → API Settings → SMS settings: paste this URL as “Delivery "
        "receipts (DLR) webhooks”, any HTTP method. Enable signed webhooks and paste the "
        "“Signature secret” from API Settings here (any signature method is accepted)."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        params = _params(request, auth=True)
        signature = params.pop("sig", "").strip().lower()
        if not signature:
            raise AuthError("missing sig")
        if "timestamp" in params:
            timestamp_check(params["timestamp"], tolerance=TIMESTAMP_TOLERANCE)
        signed = "".join(
            f"&{k}={v.replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items())
        )
        for secret in secrets:
            if secret and any(constant_time_equal(signature, s) for s in _sigs(signed, secret)):
                return
        raise AuthError("wrong sig")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = _params(request, auth=False)
        message_id = data.get("messageId", "")
        if not message_id:
            raise ParseError("missing messageId")
        raw_status = data.get("status", "")
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        err = data.get("err-code", "")
        scts = receipt_date(data.get("scts", ""))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=scts or parse_time(data.get("message-timestamp")),
                provider_code=err,
                error_code=err if err.strip("0") else "",
                channel=Channel.SMS,
                to=data.get("msisdn", ""),
                sender=data.get("to", ""),
                operator=data.get("network-code", ""),
                client_ref=data.get("client-ref", ""),
                delivered_at=scts if status == Status.DELIVERED else None,
                **reported_price(data.get("price"), VONAGE_CURRENCY),
            )
        ]


def _params(request: InboundRequest, *, auth: bool) -> dict[str, str]:
    if request.method == "POST" and request.content_type == "application/json":
        try:
            data: dict[str, Any] = request.json_object()
        except ParseError:
            if auth:
                raise AuthError("body is not a JSON object") from None
            raise
        return {str(k): text(v) for k, v in data.items()}
    try:
        form = request.form()
    except ParseError:
        if auth:
            raise AuthError("body is not a form") from None
        raise
    # Vonage never repeats a parameter; a repeated one would be read once but could
    # hide what was signed, so it is not authentic.
    if auth and any(len(values) > 1 for values in form.values()):
        raise AuthError("repeated parameter")
    return {key: values[0] if values else "" for key, values in form.items()}


def _sigs(signed: str, secret: str) -> list[str]:
    data = signed.encode("utf-8", "surrogateescape")
    key = secret.encode()
    sigs = [hashlib.md5(data + key, usedforsecurity=False).hexdigest()]
    sigs += [hmac.new(key, data, digest).hexdigest() for digest in HMAC_DIGESTS]
    return sigs
