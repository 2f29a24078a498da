"""Clickatell delivery callbacks: the legacy APIs, the Platform and the One API.

Documentation: https://docs.clickatell.com/archive/channels/advanced-message-send-archived/callback-push-status-and-cost-notification/
(legacy HTTP/XML/REST APIs: `apiMsgId`, `cliMsgId`, `to`, `from`, `timestamp`, `charge`
and `status` as a three-digit code, 001 unknown … 004 received by recipient … 014),
https://www.clickatell.com/developers/api-documentation/one-api-message-status-codes-descriptions/
(One API: `statusCode` 1–6 and 20+, `status` names such as SENT_TO_SUPPLIER, DEVICE_ACK,
DELIVERY_FAILURE) and the official PHP library https://github.com/arcturial/clickatell
(`test/CallbackTest.php`: the legacy fields; `test/RestTest.php`: the Platform JSON fields
`messageId`, `requestId`, `clientMessageId`, `status`, `statusDescription`, `timestamp`).

The same number means different things: 4 is "received by recipient" for the legacy APIs
and the Platform (whose `status` is RECEIVED_BY_RECIPIENT), but only SENT_TO_SUPPLIER for
the One API, where delivery is 5 (DEVICE_ACK) — and 005 is a legacy error. So the status
name decides when there is one; a bare number is read as One API when the callback names
a `channel` (only the One API does), as legacy otherwise. Clickatell does not sign its
callbacks: the endpoint secret is the `token` in the URL or the basic-auth password
(Clickatell can add basic authentication to its callbacks).

Fixtures (tests/fixtures/clickatell/): `legacy_received_by_recipient_004.txt`,
`legacy_error_delivering_007.txt`, `legacy_error_with_message_005.txt`,
`platform_received_by_recipient.json`, `platform_delivered_to_gateway.json`,
`one_api_sent_to_supplier.json`, `one_api_device_ack.json` and
`one_api_whatsapp_delivery_failure.json`.
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
from .clickatell_codes import LEGACY_CODES, NAMES, ONE_API_CODES
from .timestamps import epoch_time


class ClickatellProvider(Provider):
    name = "clickatell"
    label = "Clickatell"
    methods = ("GET", "POST")
    setup_help = (
        "Clickatell portal → your integration (or, for the legacy APIs, Developers' Central → "
        "Manage APIs → Edit) → message status callbacks: paste this URL with ?token=<secret>, "
        "or enable basic authentication with the secret as password."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if request.method == "POST" and request.body.lstrip()[:1] == b"{":
            data = request.json_object()
            events = as_list(as_dict(data.get("event")).get("messageStatusUpdate"))
            items = [as_dict(item) for item in events] or [as_dict(data.get("data")) or data]
        else:
            items = [dict(form_values(request))]
        return [self._report(item) for item in items]

    def _report(self, item: dict[str, Any]) -> DeliveryReport:
        message_id = text(item.get("messageId") or item.get("apiMsgId") or item.get("apiMessageId"))
        if not message_id:
            raise ParseError("missing messageId / apiMsgId")
        name = text(item.get("status")).upper()
        code = text(item.get("statusCode") or item.get("messageStatus"))
        if name.isdigit():  # the legacy callback's `status` is the code itself
            name, code = "", name
        one_api = "channel" in item
        if name in NAMES:
            status = NAMES[name]
        elif one_api:
            # Codes from 20 up are all failures (channel-specific ones keep being added).
            number = int(code) if code.isascii() and code.isdigit() and len(code) < 6 else 0
            fallback = Status.FAILED if number >= 20 else Status.UNKNOWN
            status = ONE_API_CODES.get(code.lstrip("0"), fallback)
        else:
            status = LEGACY_CODES.get(code.zfill(3) if code.isdigit() else code, Status.UNKNOWN)
        # A One API failure is named by its status (its numbers overlap the legacy codes);
        # a legacy or Platform one by its three-digit code.
        error = name if one_api else (code.zfill(3) if code.isdigit() else code)
        failed = status not in (
            Status.UNKNOWN,
            Status.QUEUED,
            Status.SUBMITTED,
            Status.SENT,
            Status.DELIVERED,
            Status.READ,
        )
        when = epoch_time(item.get("timestamp"))
        channel = text(item.get("channel")).lower()
        return DeliveryReport(
            provider=self.name,
            message_id=message_id,
            status=status,
            provider_status=text(item.get("status")),
            event_time=when,
            provider_code=code,
            error_code=error if failed else "",
            error_message=text(item.get("statusDescription")) if failed else "",
            channel=Channel.WHATSAPP if channel == "whatsapp" else Channel.SMS,
            to=text(item.get("to")),
            sender=text(item.get("from")),
            client_ref=text(item.get("clientMessageId") or item.get("cliMsgId")),
            delivered_at=when if status == Status.DELIVERED else None,
            read_at=when if status == Status.READ else None,
        )
