"""Gupshup: enterprise SMS delivery reports and WhatsApp message events, on one endpoint.

Documentation: https://docs.gupshup.io/docs/real-time-delivery-reports (SMS: a GET with
`externalId`, `deliveredTS`, `status` SUCCESS/FAILURE/UNKNOWN, `cause`, `phoneNo`,
`errCode`, `noOfFrags`, `mask`, or a POST of up to 20 events with `eventType`, `eventTs`,
`destAddr`, `cause`, `errCode`), https://docs.gupshup.io/docs/message-events (WhatsApp v2:
`type` "message-event", `payload.type` enqueued/sent/delivered/read/failed; the Gupshup
message id is `payload.id` for enqueued and for failures Gupshup raised itself, `gsId` for
every later event, whose `id` is WhatsApp's) and https://partner-docs.gupshup.io/docs/events
(WhatsApp v3: Meta's `entry[].changes[].value.statuses[]` with `gs_id`). Error codes:
https://partner-docs.gupshup.io/docs/error-codes. Gupshup does not sign its callbacks:
the endpoint secret is the `token` query parameter of the URL (or the basic-auth password).
The shapes tell the kinds apart: a JSON object with `type` is WhatsApp v2, one with
`entry` is v3, a JSON list (or `{"response": [...]}`) is an SMS batch, form fields are an
SMS report.

Fixtures (tests/fixtures/gupshup/): `whatsapp_enqueued.json`, `whatsapp_sent.json`,
`whatsapp_delivered.json`, `whatsapp_read.json`, `whatsapp_failed_1008.json`,
`whatsapp_failed_470.json`, `whatsapp_mm_lite_sent.json` (no `gsId`: keyed on WhatsApp's
id), `whatsapp_v3_sent.json`, `sms_delivered.txt`,
`sms_dnd_fail_006.txt` and `sms_batch.json` (SOURCES.md says which are verbatim).
"""

from collections.abc import Sequence
from typing import Any

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    as_list,
    form_values,
    text,
    verify_token,
)
from .gupshup_sms import BATCH_FIELDS, GET_FIELDS, sms_report
from .timestamps import epoch_time

WHATSAPP_MAP: dict[str, Status] = {
    "enqueued": Status.SUBMITTED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "failed": Status.FAILED,
}


class GupshupProvider(Provider):
    name = "gupshup"
    label = "Gupshup"
    methods = ("GET", "POST")
    setup_help = (
        "Gupshup: for SMS, Enterprise SMS → Settings → Advanced Account Settings → "
        "“Realtime Delivery URL” (ask enterprise support for POST); for WhatsApp, your app → "
        "Webhooks → Callback URL with message events. Paste this URL with ?token=<secret>."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if request.method == "GET" or request.body.lstrip()[:1] not in (b"{", b"["):
            fields = form_values(request)
            if "response" in fields:  # a POST batch sent as a form field
                batch = fields["response"].encode()
                return self._sms_batch(InboundRequest("POST", "", {}, body=batch).json())
            return [sms_report(fields, GET_FIELDS)]
        data = request.json()
        if isinstance(data, list) or "response" in as_dict(data):
            return self._sms_batch(data)
        data = as_dict(data)
        if "entry" in data:
            return self._v3(data)
        if text(data.get("type")) != "message-event":
            return []  # inbound messages, user, template and account events carry no status
        return self._v2(as_dict(data.get("payload")), data.get("timestamp"))

    def _v2(self, event: dict[str, Any], timestamp: Any) -> list[DeliveryReport]:
        if text(event.get("type")) == "deleted":
            return []  # the user deleted one of *their* messages: not a report on ours
        details = as_dict(event.get("payload"))
        message_id = text(event.get("gsId")) or text(event.get("id"))
        return [self._whatsapp(message_id, event, details.get("ts") or timestamp, details)]

    def _v3(self, data: dict[str, Any]) -> list[DeliveryReport]:
        changes = [
            as_dict(c)
            for e in as_list(data.get("entry"))
            for c in as_list(as_dict(e).get("changes"))
        ]
        statuses = [
            as_dict(s) for c in changes for s in as_list(as_dict(c.get("value")).get("statuses"))
        ]
        return [
            self._whatsapp(
                text(s.get("gs_id")) or text(s.get("id")),
                {"type": s.get("status"), "destination": s.get("recipient_id")},
                s.get("timestamp"),
                as_dict((as_list(s.get("errors")) or [{}])[0]),
            )
            for s in statuses
        ]

    def _whatsapp(
        self, message_id: str, event: dict[str, Any], when: Any, error: dict[str, Any]
    ) -> DeliveryReport:
        if not message_id:
            raise ParseError("missing the message id (gsId / id)")
        raw_status = text(event.get("type"))
        status = WHATSAPP_MAP.get(raw_status.lower(), Status.UNKNOWN)
        time = epoch_time(when)
        failed = status == Status.FAILED
        return DeliveryReport(
            provider=self.name,
            message_id=message_id,
            status=status,
            provider_status=raw_status,
            event_time=time,
            error_code=text(error.get("code")) if failed else "",
            error_message=text(error.get("reason") or error.get("title")) if failed else "",
            channel=Channel.WHATSAPP,
            to=text(event.get("destination")),
            delivered_at=time if status == Status.DELIVERED else None,
            read_at=time if status == Status.READ else None,
        )

    def _sms_batch(self, data: Any) -> list[DeliveryReport]:
        items = data if isinstance(data, list) else as_list(as_dict(data).get("response"))
        reports = []
        for index, item in enumerate(items):
            try:
                fields = {k: text(v) for k, v in as_dict(item).items()}
                reports.append(sms_report(fields, BATCH_FIELDS))
            except ParseError as exc:
                self.item_errors.append(f"[{index}]: {exc}")
        return reports
