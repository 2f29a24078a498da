"""Bandwidth messaging callbacks (API v2): message-sending, message-delivered, message-failed.

Documentation: https://dev.bandwidth.com/docs/messaging/webhooks (callbacks are a JSON
array of events, each with `type`, `time`, `description`, `to`, `errorCode` on failures
and the `message` object: `id`, `from`, `to[]`, `tag`, `segmentCount`, `media`) and
https://github.com/Bandwidth/python-sdk/blob/main/bandwidth/models/message_callback.py (the
official SDK's model, which adds `carrierName`) and
https://dev.bandwidth.com/docs/messaging/errors (the four-digit `errorCode`: 4xxx the
request or the carrier refused it, a retry gives the same result; 5xxx service failures;
9902 no delivery receipt before the timeout, which does not mean the message was lost).
An MMS "message-delivered" whose description is "Message delivered to carrier" (accounts
without MMS delivery receipts) only says the carrier has it. Bandwidth does not sign its
callbacks; it sends the application's callback credentials as basic auth, so the endpoint
secret is the basic-auth password (or the `token` in the URL).

Fixtures (tests/fixtures/bandwidth/): `message_sending.json`, `message_delivered.json`,
`message_delivered_toll_free.json`, `mms_delivered_to_carrier.json`,
`message_failed_4432.json` and `message_failed_9902.json`.
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
    parse_time,
    positive_int,
    text,
    verify_token,
)

TYPE_MAP: dict[str, Status] = {
    "message-sending": Status.SUBMITTED,
    "message-delivered": Status.DELIVERED,
    "message-failed": Status.UNDELIVERED,
}
# Failures whose code says more than "failed" (see the errors page).
ERROR_MAP: dict[str, Status] = {
    "4360": Status.EXPIRED,
    "4701": Status.UNDELIVERED,
    "4702": Status.UNDELIVERED,
    "9902": Status.UNKNOWN,  # no receipt in time: the message may well have arrived
    "9999": Status.UNDELIVERED,
}


class BandwidthProvider(Provider):
    name = "bandwidth"
    label = "Bandwidth"
    setup_help = (
        "Bandwidth App → Applications → your messaging application: paste this URL as "
        "“Callback URL”, tick “Use basic authentication” and enter any user id with the "
        "secret as password (or append ?token=<secret> to the URL)."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        events = request.json()
        if not isinstance(events, list):
            raise ParseError("expected a JSON array of events")
        reports = []
        for index, event in enumerate(events):
            event = as_dict(event)
            if text(event.get("type")) not in TYPE_MAP:
                continue  # message-received and other inbound events: no report
            try:
                reports.append(self._report(event))
            except ParseError as exc:
                self.item_errors.append(f"[{index}]: {exc}")
        return reports

    def _report(self, event: dict[str, Any]) -> DeliveryReport:
        message = as_dict(event.get("message"))
        if not text(message.get("id")):
            raise ParseError("missing message.id")
        raw_status = text(event.get("type"))
        description = text(event.get("description"))
        error = text(event.get("errorCode"))
        status = TYPE_MAP[raw_status]
        if status == Status.UNDELIVERED:
            status = ERROR_MAP.get(error) or _by_class(error)
        elif status == Status.DELIVERED and description.lower() == "message delivered to carrier":
            status = Status.SENT
        when = parse_time(event.get("time"))
        recipients = [text(number) for number in as_list(message.get("to"))]
        return DeliveryReport(
            provider=self.name,
            message_id=text(message.get("id")),
            status=status,
            provider_status=raw_status,
            event_time=when,
            provider_code=description,
            error_code=error if raw_status == "message-failed" else "",
            error_message=description if raw_status == "message-failed" else "",
            channel=Channel.MMS if as_list(message.get("media")) else Channel.SMS,
            to=text(event.get("to")) or (recipients[0] if recipients else ""),
            sender=text(message.get("from")),
            operator=text(event.get("carrierName")),
            tag=text(message.get("tag")),
            segments=positive_int(message.get("segmentCount")),
            submitted_at=parse_time(message.get("time")),
            delivered_at=when if status == Status.DELIVERED else None,
        )


def _by_class(code: str) -> Status:
    """4xxx: Bandwidth or the carrier refused the message; 5xxx: a service failure."""
    if code.startswith("4"):
        return Status.REJECTED
    return Status.FAILED if code.startswith("5") else Status.UNDELIVERED
