"""Kannel delivery reports: the `dlr-url` GET, with `%d` (type) and `%A` (SMSC reply).

Documentation: Kannel user guide, “Delivery reports” and the sendsms `dlr-url` / `dlr-mask`
parameters (https://www.kannel.org/download/kannel-userguide-snapshot/userguide.html).
`%d` is the report type: 1 delivered to phone, 2 non-delivered to phone, 4 queued on SMSC,
8 delivered to SMSC, 16 non-delivered to SMSC; `%A` is the SMSC's reply — the SMPP receipt
text for 1/2 (parsed with `smpp.receipt_parse`), `ACK/…` or `NACK/<code>/<reason>` for
8/16. Kannel does not sign: the dlr-url carries the endpoint secret as `token`.

The dlr-url dlrdash expects (set by the application that submits to Kannel):
`https://HOST/webhooks/SLUG/?token=SECRET&id=YOUR_ID&type=%d&reply=%A&to=%p&from=%P&ts=%T&fid=%F`
where `id` is the sender's own message id (the receipt id `%F` is used when it is missing).

Fixtures (tests/fixtures/kannel/): `delivered.txt` (type 1, a DELIVRD receipt with a
decimal id), `undelivered.txt` (type 2, UNDELIV err:001, a hex id and 12-digit dates),
`nack.txt` (type 16, NACK/0x0000000b). Built from the user guide's escape codes and the
SMPP appendix's receipt format; the values are ours.
"""

from collections.abc import Sequence

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import InboundRequest, ParseError, Provider, form_values, parse_time, verify_token
from .smpp import receipt_parse

TYPE_MAP: dict[str, Status] = {
    "1": Status.DELIVERED,
    "2": Status.UNDELIVERED,
    "4": Status.SUBMITTED,
    "8": Status.SENT,
    "16": Status.REJECTED,
}
_FINAL_TYPES = {"1", "2"}


class KannelProvider(Provider):
    name = "kannel"
    label = "Kannel"
    methods = ("GET",)
    setup_help = (
        "Kannel: submit each message with dlr-mask=31 and this dlr-url (URL-encoded): "
        "<this URL>?token=<secret>&id=<your message id>&type=%d&reply=%A&to=%p&from=%P&ts=%T"
        "&fid=%F — then paste the same secret here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = form_values(request)
        dlr_type = data.get("type", "").strip()
        if dlr_type not in TYPE_MAP:
            raise ParseError(f"unknown dlr type {dlr_type!r}")
        reply = data.get("reply", "")
        receipt = receipt_parse(reply) if dlr_type in _FINAL_TYPES else None
        message_id = data.get("id") or data.get("fid") or (receipt.id if receipt else "")
        if not message_id:
            raise ParseError("missing id")
        status = TYPE_MAP[dlr_type]
        error_code, raw_status = "", f"type {dlr_type}"
        if receipt and receipt.stat:
            raw_status = receipt.stat
            # The receipt refines a final type: type 2 may be EXPIRED or REJECTD.
            if receipt.status not in (Status.UNKNOWN, Status.SENT):
                status = receipt.status
            error_code = receipt.error_code
        elif dlr_type == "16":
            parts = reply.split("/", 2)
            error_code = parts[1] if len(parts) > 1 else ""
            raw_status = parts[0] or raw_status
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=(receipt.done_date if receipt else None)
                or parse_time(_int_or_none(data.get("ts"))),
                provider_code=dlr_type,
                error_code=error_code,
                error_message=reply[:200] if error_code else "",
                channel=Channel.SMS,
                to=data.get("to", ""),
                sender=data.get("from", ""),
                submitted_at=receipt.submit_date if receipt else None,
                delivered_at=receipt.done_date if receipt and status == Status.DELIVERED else None,
            )
        ]


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
