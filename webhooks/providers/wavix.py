"""Wavix SMS/MMS delivery reports.

Documentation: https://docs.wavix.com/messaging/webhooks-delivery-reports
Wavix does not sign its callbacks: the endpoint secret authenticates them, given as the
basic-auth password (`https://x:SECRET@host/webhooks/<slug>/`) or as a `token` query
parameter (`…/webhooks/<slug>/?token=SECRET`). A first report says `sent` (or a failure
to send), a second one the final status: delivered, undelivered, rejected or expired.

Fixtures (tests/fixtures/wavix/): `sent.json` is the guide's sample; `delivered.json`,
`undelivered.json`, `rejected.json`, `expired.json` and `mms_delivered.json`.
"""

from collections.abc import Sequence

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    parse_time,
    positive_int,
    text,
    verify_token,
)

STATUS_MAP: dict[str, Status] = {
    "accepted": Status.SUBMITTED,
    "pending": Status.SUBMITTED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "rejected": Status.REJECTED,
    "expired": Status.EXPIRED,
    "failed": Status.FAILED,
}


class WavixProvider(Provider):
    name = "wavix"
    label = "Wavix"
    setup_help = (
        "Wavix portal → Account & billing → My account → Default destinations: paste this "
        "URL with ?token=<secret> into “DLR webhook”, or pass it as callback_url per message."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object()
        message_id = text(data.get("message_id"))
        if not message_id:
            raise ParseError("missing message_id")
        raw_status = text(data.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        sent = parse_time(data.get("sent"))
        delivered = parse_time(data.get("delivered"))
        error = data.get("error")
        error_code, error_message = "", ""
        if isinstance(error, dict):
            error_code = text(error.get("code"))
            error_message = text(error.get("message") or error.get("description"))
        else:
            error_message = text(error)
        is_interim = status in (Status.SENT, Status.SUBMITTED, Status.UNKNOWN)
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                # The final report carries the time the final status was received.
                event_time=sent if is_interim else (delivered or sent),
                error_code=error_code,
                error_message=error_message,
                channel=Channel.MMS if text(data.get("message_type")) == "mms" else Channel.SMS,
                to=text(data.get("to")),
                sender=text(data.get("from")),
                tag=text(data.get("tag")),
                segments=positive_int(data.get("segments_count")),
                sent_at=sent,
                delivered_at=delivered if status == Status.DELIVERED else None,
            )
        ]
