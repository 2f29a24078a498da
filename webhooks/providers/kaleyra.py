"""Kaleyra (kaleyra.io) SMS and WhatsApp status callbacks.

Documentation: https://developers.kaleyra.io/docs/create-callback-profile-for-outgoing-whatsapp-messages
(WhatsApp: `id`, `status` sent/delivered/read/failed/not-sent, `timestamp`, `mobile`,
`phone_number`, `error`, `error_code`, `ref`…), https://developers.kaleyra.io/docs/whatsapp-status,
https://developers.kaleyra.io/docs/create-callback-profile-for-sms and
https://developers.kaleyra.io/docs/sms-status-and-status-trace-codes (SMS: `id`,
`status` SENT/DELIVERED/UNDELIVERED/NOT-SENT/FAILED with the reason in `status_trace`,
`recipient`, `source`, `operator`, `circle`, `timestamp`). Kaleyra sends what a "callback
profile" asks for, by GET (query) or POST (JSON); an SMS callback names the number
`recipient`, a WhatsApp one `mobile`. Kaleyra does not sign its callbacks: the endpoint
secret is the `token` in the profile's URL (or a basic-auth header the profile adds).
Times without a zone are India's.

Fixtures (tests/fixtures/kaleyra/): `sms_sent.json`, `sms_delivered.json`,
`sms_not_sent_dnd.json`, `sms_undelivered_absent_sub.json`, `whatsapp_delivered.json`,
`whatsapp_read.json` and `whatsapp_failed_131047.txt`.
"""

from collections.abc import Sequence

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    form_values,
    text,
    verify_token,
)
from .timestamps import IST, epoch_time, local_time

STATUS_MAP: dict[str, Status] = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    # Kaleyra refused to send it (DND, template, blacklist, credits…): see status_trace.
    "not-sent": Status.REJECTED,
}
# status_trace values that say more than their status does.
TRACE_MAP: dict[str, Status] = {"EXPIRED": Status.EXPIRED}


class KaleyraProvider(Provider):
    name = "kaleyra"
    label = "Kaleyra"
    methods = ("GET", "POST")
    setup_help = (
        "kaleyra.io → Account settings → Callback Profiles → Add New: channel SMS or WhatsApp, "
        "this URL with ?token=<secret> as endpoint (GET or POST with the documented dynamic "
        "variables); pass the profile's id as callback_profile_id when sending."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if request.method == "POST" and request.body.lstrip()[:1] == b"{":
            fields = {key: text(value) for key, value in as_dict(request.json()).items()}
        else:
            fields = {key: value.strip() for key, value in form_values(request).items()}
        message_id = fields.get("id", "")
        if not message_id:
            raise ParseError("missing id")
        sms = "recipient" in fields or "status_trace" in fields
        raw_status = fields.get("status", "")
        trace = fields.get("status_trace", "")
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        status = TRACE_MAP.get(trace.upper(), status)
        failed = status not in (Status.SENT, Status.DELIVERED, Status.READ, Status.UNKNOWN)
        error_code = trace if sms else fields.get("error_code", "")
        error = fields.get("description" if sms else "error", "")
        when = epoch_time(fields.get("timestamp")) or local_time(fields.get("timestamp"), IST)
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=when,
                provider_code=trace,
                error_code=error_code if failed else "",
                error_message=error if failed else "",
                channel=Channel.SMS if sms else Channel.WHATSAPP,
                to=fields.get("recipient" if sms else "mobile", ""),
                sender=fields.get("source" if sms else "phone_number", ""),
                operator=fields.get("operator", ""),
                client_ref=fields.get("ref", ""),
                delivered_at=when if status == Status.DELIVERED else None,
                read_at=when if status == Status.READ else None,
            )
        ]
