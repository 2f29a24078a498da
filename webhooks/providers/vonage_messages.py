"""Vonage Messages API message-status webhooks (SMS, MMS, WhatsApp, RCS, Viber, Messenger).

Documentation: https://developer.vonage.com/en/api/messages#message-status (the status
body: `message_uuid`, `status`, `timestamp`, `channel`, `error` {type, title, detail},
`client_ref`, `usage` {currency, price}, `sms.count_total`) and
https://developer.vonage.com/en/messages/concepts/signed-webhooks: every
webhook carries `Authorization: Bearer <JWT>`, HS256-signed with the account's signature
secret, whose `payload_hash` claim is the hex SHA-256 of the body and `iat` the signing time.

Fixtures (tests/fixtures/vonage_messages/): `delivered.json`, `whatsapp_read.json`
and `rejected_1020.json` (the documented error object), shaped as the API reference's
message-status schema; the UUIDs are ours.
"""

import hmac
from collections.abc import Sequence
from typing import Any

import jwt

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    parse_time,
    positive_int,
    sha256_hex,
    text,
    timestamp_check,
)
from .prices import reported_price

STATUS_MAP: dict[str, Status] = {
    "submitted": Status.SUBMITTED,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "rejected": Status.REJECTED,
    "undeliverable": Status.UNDELIVERED,
    "failed": Status.FAILED,
}
CHANNELS = {c.value for c in Channel}
IAT_TOLERANCE = 300  # seconds


class VonageMessagesProvider(Provider):
    name = "vonage_messages"
    label = "Vonage Messages API"
    setup_help = (
        "Vonage API Dashboard → Applications → your application → Capabilities → Messages: "
        "paste this URL as “Status URL” (POST). Paste the account's “Signature secret” "
        "(API Settings) here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        signed_jwt_verify(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object()
        message_id = text(data.get("message_uuid"))
        if not message_id:
            raise ParseError("missing message_uuid")
        raw_status = text(data.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        error = as_dict(data.get("error"))
        channel = text(data.get("channel")).lower()
        timestamp = parse_time(data.get("timestamp"))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=timestamp,
                error_code=text(error.get("title")),
                error_message=text(error.get("detail")),
                channel=channel if channel in CHANNELS else "",
                to=text(data.get("to")),
                sender=text(data.get("from")),
                client_ref=text(data.get("client_ref")),
                delivered_at=timestamp if status == Status.DELIVERED else None,
                read_at=timestamp if status == Status.READ else None,
                segments=positive_int(as_dict(data.get("sms")).get("count_total")),
                **_price(data),
            )
        ]


def signed_jwt_verify(request: InboundRequest, secrets: Sequence[str]) -> None:
    """Vonage's signed webhooks (Messages and Voice APIs): `Authorization: Bearer <JWT>`,
    HS256 with the signature secret, `iat` recent and `payload_hash` the body's SHA-256."""
    scheme, _, token = request.header("authorization").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("missing bearer JWT")
    claims = _claims(token.strip(), secrets)
    timestamp_check(claims.get("iat"), tolerance=IAT_TOLERANCE)
    payload_hash = claims.get("payload_hash")
    if not isinstance(payload_hash, str) or not hmac.compare_digest(
        payload_hash.lower().encode(), sha256_hex(request.body).encode()
    ):
        raise AuthError("payload_hash does not match the body")


def _claims(token: str, secrets: Sequence[str]) -> dict[str, object]:
    for secret in secrets:
        if not secret:
            continue
        try:
            # Times are checked by us against our clock (see timestamp_check).
            return jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except (jwt.InvalidTokenError, ValueError, TypeError):
            continue
    raise AuthError("JWT signature does not verify")


def _price(data: dict[str, Any]) -> dict[str, Any]:
    usage = as_dict(data.get("usage"))
    return reported_price(usage.get("price"), usage.get("currency"))
