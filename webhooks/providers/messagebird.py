"""MessageBird (Bird) SMS status reports, delivered as a GET query.

Documentation: https://developers.messagebird.com/api/sms-messaging/#handle-a-status-report
(query fields: `id`, `reference`, `recipient`, `status`, `statusReason`, `statusErrorCode`,
`statusDatetime`, `mccmnc`, `ported`, `price[amount]`, `price[currency]`) and
https://developers.messagebird.com/docs/verify-http-requests: `MessageBird-Signature-JWT`
is an HS256 JWT keyed by the signing key, with `iss` "MessageBird", `nbf`/`exp`, a `jti`,
`url_hash` (hex SHA-256 of the full URL called, query included) and, when there is a body,
`payload_hash`. Checked against messagebird/go-rest-api's
`signature_jwt/testdata/reference.json`.

Fixtures (tests/fixtures/messagebird/): `delivered.txt` and `delivery_failed_1.txt`,
query strings with the documented parameters (recipient and mccmnc as in MessageBird's SDK
examples; statusErrorCode 1 = unknown subscriber in the documented error list);
`delivered_price.txt` adds the documented `price[amount]` and `price[currency]`.
"""

import hmac
from collections.abc import Sequence

import jwt

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    form_values,
    parse_time,
    sha256_hex,
    validity_check,
)
from .prices import reported_price

STATUS_MAP: dict[str, Status] = {
    "scheduled": Status.QUEUED,
    "sent": Status.SENT,
    "buffered": Status.SENT,
    "delivered": Status.DELIVERED,
    "expired": Status.EXPIRED,
    "delivery_failed": Status.UNDELIVERED,
}
SIGNATURE_HEADER = "messagebird-signature-jwt"
LEEWAY = 1  # seconds; MessageBird's tokens live 60 s


class MessagebirdProvider(Provider):
    name = "messagebird"
    label = "MessageBird / Bird"
    methods = ("GET", "POST")
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "MessageBird Dashboard → Developers → API access: paste this URL as the status "
        "report URL (or pass it as reportUrl per message). Paste the “Signing key” from "
        "Developers → API access here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        token = request.header(SIGNATURE_HEADER).strip()
        if not token:
            raise AuthError("missing MessageBird-Signature-JWT")
        claims = _claims(token, secrets)
        if claims.get("iss") != "MessageBird":
            raise AuthError("wrong issuer")
        validity_check(claims.get("nbf"), claims.get("exp"), leeway=LEEWAY)
        if not _hash_equal(claims.get("url_hash"), sha256_hex(request.url)):
            raise AuthError("url_hash does not match the URL")
        payload_hash = claims.get("payload_hash")
        has_payload = request.body or payload_hash is not None
        if has_payload and not _hash_equal(payload_hash, sha256_hex(request.body)):
            raise AuthError("payload_hash does not match the body")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = form_values(request)
        message_id = data.get("id", "")
        if not message_id:
            raise ParseError("missing id")
        raw_status = data.get("status", "")
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        at = parse_time(data.get("statusDatetime"))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=at,
                provider_code=data.get("statusReason", ""),
                error_code=data.get("statusErrorCode", ""),
                error_message=data.get("statusReason", ""),
                channel=Channel.SMS,
                to=data.get("recipient", ""),
                operator=data.get("mccmnc", ""),
                client_ref=data.get("reference", ""),
                delivered_at=at if status == Status.DELIVERED else None,
                **reported_price(data.get("price[amount]"), data.get("price[currency]")),
            )
        ]


def _claims(token: str, secrets: Sequence[str]) -> dict[str, object]:
    for secret in secrets:
        if not secret:
            continue
        try:
            # Times are checked against our clock below, so old vectors stay testable.
            return jwt.decode(
                token,
                secret,
                algorithms=["HS256", "HS384", "HS512"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except (jwt.InvalidTokenError, ValueError, TypeError):
            continue
    raise AuthError("JWT signature does not verify")


def _hash_equal(claim: object, expected: str) -> bool:
    return isinstance(claim, str) and hmac.compare_digest(claim.lower().encode(), expected.encode())
