"""Telnyx messaging webhooks: `message.sent` and `message.finalized` (SMS, MMS).

Documentation: https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
(the event envelope `data.event_type` / `data.payload`, per-recipient `to[].status`,
`errors[]`, the message's `cost` {amount, currency} — rate × parts — `parts` and
`encoding`) and https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks#webhook-signing:
`telnyx-signature-ed25519` is the base64 Ed25519 signature of `<telnyx-timestamp>|<body>`,
checked with the account's public key, and the timestamp must be within 300 seconds.

Fixtures (tests/fixtures/telnyx/): `delivered.json` is the documentation's
message.finalized example (its event id and times), completed with the fields of the API
reference's deliveryUpdate callback; `delivery_failed_40008.json` is the same event with
status delivery_failed and an `errors[]` entry as the reference describes it;
`delivered_unicode_cost_malformed.json` has a UCS-2 message of 2 parts whose `cost.amount`
is not a number.
"""

from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    as_list,
    b64decode_loose,
    parse_time,
    positive_int,
    text,
    timestamp_check,
)
from .prices import encoding_of, reported_price

STATUS_MAP: dict[str, Status] = {
    "queued": Status.QUEUED,
    "sending": Status.SUBMITTED,
    "sent": Status.SENT,
    "delivery_unconfirmed": Status.SENT,
    "delivered": Status.DELIVERED,
    "delivery_failed": Status.UNDELIVERED,
    "sending_failed": Status.FAILED,
    "expired": Status.EXPIRED,
}
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
TOLERANCE = 300  # seconds, as Telnyx's SDKs check it


class TelnyxProvider(Provider):
    name = "telnyx"
    label = "Telnyx"
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "Telnyx Mission Control → Messaging → your Messaging Profile → Inbound: paste this URL "
        "as “Send a webhook to this URL”. Paste the account's Public Key (Keys & Credentials "
        "→ Public Key, base64) here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        signature = b64decode_loose(request.header(SIGNATURE_HEADER))
        timestamp = request.header(TIMESTAMP_HEADER).strip()
        if not signature or not timestamp:
            raise AuthError("missing telnyx-signature-ed25519 or telnyx-timestamp")
        timestamp_check(timestamp, tolerance=TOLERANCE)
        signed = timestamp.encode() + b"|" + request.body
        for secret in secrets:
            key = b64decode_loose(secret)
            if key is None or len(key) != 32:
                continue
            try:
                Ed25519PublicKey.from_public_bytes(key).verify(signature, signed)
            except (InvalidSignature, ValueError):
                continue
            return
        raise AuthError("wrong telnyx-signature-ed25519")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object().get("data")
        if not isinstance(data, dict):
            raise ParseError("missing data")
        event_type = text(data.get("event_type"))
        if event_type not in ("message.sent", "message.finalized"):
            return []  # message.received is an inbound message, not a report
        payload = data.get("payload")
        if not isinstance(payload, dict) or not text(payload.get("id")):
            raise ParseError("missing data.payload.id")
        recipients = [r for r in as_list(payload.get("to")) if isinstance(r, dict)]
        if not recipients:
            raise ParseError("missing data.payload.to[]")
        return [self._report(payload, data, r) for r in recipients]

    def _report(
        self, payload: dict[str, Any], data: dict[str, Any], recipient: dict[str, Any]
    ) -> DeliveryReport:
        raw_status = text(recipient.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        errors = [e for e in as_list(payload.get("errors")) if isinstance(e, dict)]
        error = errors[0] if errors else {}
        sender = payload.get("from")
        completed = parse_time(payload.get("completed_at"))
        # `cost` is null until Telnyx has priced the message (on message.sent, often).
        cost = as_dict(payload.get("cost"))
        price = reported_price(cost.get("amount"), cost.get("currency"))
        return DeliveryReport(
            provider=self.name,
            message_id=text(payload.get("id")),
            status=status,
            provider_status=raw_status,
            event_time=parse_time(data.get("occurred_at")) or completed,
            error_code=text(error.get("code")),
            error_message=text(error.get("detail") or error.get("title")),
            channel=Channel.MMS if text(payload.get("type")).upper() == "MMS" else Channel.SMS,
            to=text(recipient.get("phone_number")),
            sender=text(sender.get("phone_number")) if isinstance(sender, dict) else "",
            operator=text(recipient.get("carrier")),
            segments=positive_int(payload.get("parts")),
            encoding=encoding_of(payload.get("encoding")),
            sent_at=parse_time(payload.get("sent_at")),
            delivered_at=completed if status == Status.DELIVERED else None,
            **price,
        )
