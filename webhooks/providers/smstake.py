"""SMSTAKE DLR webhooks (SMS, RCS, WhatsApp, Voice).

Documentation: SMSTAKE's DLR webhook guide.
JSON body signed with `X-SMSTAKE-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
keyed by the webhook signing secret.

Fixtures (tests/fixtures/smstake/): `delivered.json` is the guide's sample byte for byte;
one file per documented status (queued, submitted, sent, failed, rejected_dlt_template,
expired, undelivered) and the channel-specific ones (whatsapp_read, rcs_read,
voice_answered, voice_busy, voice_no_answer).
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
    positive_int,
    text,
)

STATUS_MAP: dict[str, Status] = {
    "queued": Status.QUEUED,
    "submitted": Status.SUBMITTED,
    "accepted": Status.SUBMITTED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "failed": Status.FAILED,
    "rejected": Status.REJECTED,
    "expired": Status.EXPIRED,
    "undelivered": Status.UNDELIVERED,
    "answered": Status.ANSWERED,
    "completed": Status.ANSWERED,
    "busy": Status.BUSY,
    "no-answer": Status.NO_ANSWER,
    "no_answer": Status.NO_ANSWER,
    "noanswer": Status.NO_ANSWER,
}
CHANNELS = {c.value for c in Channel}
# The time field that dates each status; reports without it fall back to `timestamp`.
STATUS_TIME_FIELD = {
    Status.DELIVERED: "delivered_at",
    Status.READ: "read_at",
    Status.SENT: "sent_at",
    Status.SUBMITTED: "submitted_at",
    Status.QUEUED: "submitted_at",
}
SIGNATURE_HEADER = "x-smstake-signature"


class SmstakeProvider(Provider):
    name = "smstake"
    label = "SMSTAKE"
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "SMSTAKE dashboard → Developers → Webhooks: add this URL, select DLR / Delivery "
        "Reports (and read receipts for WhatsApp), and paste the webhook signing secret here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        header = request.header(SIGNATURE_HEADER).strip()
        if not header:
            raise AuthError("missing X-SMSTAKE-Signature")
        scheme, _, signature = header.partition("=")
        if scheme.strip().lower() != "sha256" or not signature:
            raise AuthError("malformed X-SMSTAKE-Signature")
        for secret in secrets:
            if not secret:
                continue
            expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
            if constant_time_equal(signature.strip().lower(), expected):
                return
        raise AuthError("wrong X-SMSTAKE-Signature")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object()
        event = text(data.get("event"))
        if event and not event.startswith("message."):
            return []  # e.g. a dashboard "test" ping: authentic, but no report in it
        message_id = text(data.get("message_id"))
        if not message_id:
            raise ParseError("missing message_id")
        raw_status = text(data.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        channel = text(data.get("channel")).lower()
        time_field = STATUS_TIME_FIELD.get(status, "")
        event_time = parse_time(data.get(time_field)) if time_field else None
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=event_time or _first_time(data, "timestamp", "updated_at"),
                provider_code=text(data.get("status_code")),
                error_code=text(data.get("error_code")),
                error_message=text(data.get("error_message")),
                channel=channel if channel in CHANNELS else "",
                to=text(data.get("to")),
                sender=text(data.get("from")),
                operator=text(data.get("operator")),
                client_ref=text(data.get("client_ref")),
                tag=text(data.get("tag")),
                dlt_template_id=text(data.get("dlt_template_id")),
                segments=positive_int(data.get("segments")),
                submitted_at=parse_time(data.get("submitted_at")),
                sent_at=parse_time(data.get("sent_at")),
                delivered_at=parse_time(data.get("delivered_at")),
                read_at=parse_time(data.get("read_at")),
                call_duration=positive_int(data.get("call_duration", data.get("duration"))),
            )
        ]


def _first_time(data: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = parse_time(data.get(name))
        if value is not None:
            return value
    return None
