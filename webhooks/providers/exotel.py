"""Exotel SMS status callbacks and voice call status callbacks.

Documentation: https://developer.exotel.com/api-console/send-sms-api-console (the SMS
StatusCallback, form-encoded: `SmsSid`, `To`, `Status`, `SmsUnits`, `DetailedStatus`,
`DetailedStatusCode`, `DateSent`, `CustomField`),
https://support.exotel.com/support/solutions/articles/3000112255 (what each
DetailedStatusCode means), and https://developer.exotel.com/api/statuscallback (calls:
`CallSid`, `DateUpdated`, `Status` completed/failed/busy/no-answer, `RecordingUrl`, and with
StatusCallbackEvents `EventType`, `To`, `From`, `StartTime`, `EndTime`,
`ConversationDuration`…; sent as multipart/form-data or, on request, JSON).

An SMS's `Status` says little: "sent" covers both DELIVERED_TO_HANDSET and
DELIVERED_TO_OPERATOR, and "failed" covers DLT refusals and absent subscribers alike, so
the outcome is read from `DetailedStatus` (its code is the error code). Exotel does not
sign its callbacks: the endpoint secret is the `token` in the URL (or basic auth). Times
are Exotel's local time, India's.

Fixtures (tests/fixtures/exotel/): `sms_delivered_to_handset.txt`,
`sms_delivered_to_operator.txt`, `sms_failed_dlt_template_23185.txt`,
`sms_failed_subscriber_unavailable_23035.txt`, `voice_default_completed.json`,
`voice_terminal_completed.json`, `voice_busy.txt` and `voice_no_answer.txt`.
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
    positive_int,
    text,
    verify_token,
)
from .multipart import multipart_fields
from .timestamps import IST, local_time

DETAILED_MAP: dict[str, Status] = {
    "DELIVERED_TO_HANDSET": Status.DELIVERED,
    "DELIVERED_TO_OPERATOR": Status.SENT,
    "PENDING_TO_OPERATOR": Status.QUEUED,
    "SENDING_TO_OPERATOR": Status.SUBMITTED,
    "PENDING_ON_OPERATOR": Status.SUBMITTED,
    **dict.fromkeys(
        (
            "FAILED_HANDSET_ERROR",
            "FAILED_SUBSCRIBER_ERROR",
            "FAILED_SUBSCRIBER_UNAVAILABLE",
            "FAILED_OPERATOR_ERROR",
            "FAILED_UNAVAILABLE_ROUTE",
        ),
        Status.UNDELIVERED,
    ),
    "FAILED_SPAM_DETECTED": Status.REJECTED,
    "FAILED_REJECTED": Status.REJECTED,
}
STATUS_MAP: dict[str, Status] = {
    "queued": Status.QUEUED,
    "sending": Status.SUBMITTED,
    "submitted": Status.SUBMITTED,
    # Without DetailedStatus "sent" may mean the operator's hands only: not "delivered".
    "sent": Status.SENT,
    "failed": Status.FAILED,
    "failed_dnd": Status.REJECTED,
    "failed-dnd": Status.REJECTED,
}
CALL_MAP: dict[str, Status] = {
    "completed": Status.ANSWERED,
    "in-progress": Status.ANSWERED,
    "busy": Status.BUSY,
    "no-answer": Status.NO_ANSWER,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}


class ExotelProvider(Provider):
    name = "exotel"
    label = "Exotel"
    setup_help = (
        "Exotel: pass this URL with ?token=<secret> as `StatusCallback` when sending an SMS "
        "(or under Settings → SMS Settings) and when making a call (with "
        "StatusCallbackEvents=terminal for the call's duration)."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        fields = _fields(request)
        if fields.get("SmsSid"):
            return [self._sms(fields)]
        if fields.get("CallSid"):
            return [self._call(fields)]
        raise ParseError("missing SmsSid / CallSid")

    def _sms(self, fields: dict[str, str]) -> DeliveryReport:
        detailed = fields.get("DetailedStatus", "").upper()
        status = DETAILED_MAP.get(detailed) or _by_name(detailed)
        status = status or STATUS_MAP.get(fields.get("Status", "").lower(), Status.UNKNOWN)
        failed = status not in (Status.DELIVERED, Status.SENT, Status.SUBMITTED, Status.QUEUED)
        sent = local_time(fields.get("DateSent"), IST)
        return DeliveryReport(
            provider=self.name,
            message_id=fields["SmsSid"],
            status=status,
            provider_status=fields.get("Status", ""),
            event_time=sent,
            provider_code=fields.get("DetailedStatusCode", ""),
            error_code=fields.get("DetailedStatusCode", "") if failed else "",
            error_message=fields.get("DetailedStatus", "") if failed else "",
            channel=Channel.SMS,
            to=fields.get("To", ""),
            client_ref=fields.get("CustomField", ""),
            segments=positive_int(fields.get("SmsUnits")),
            delivered_at=sent if status == Status.DELIVERED else None,
        )

    def _call(self, fields: dict[str, str]) -> DeliveryReport:
        raw_status = fields.get("Status", "")
        status = CALL_MAP.get(raw_status.lower(), Status.UNKNOWN)
        return DeliveryReport(
            provider=self.name,
            message_id=fields["CallSid"],
            status=status,
            provider_status=raw_status,
            event_time=local_time(fields.get("DateUpdated"), IST),
            provider_code=fields.get("EventType", ""),
            channel=Channel.VOICE,
            to=fields.get("To", ""),
            sender=fields.get("From", ""),
            client_ref=fields.get("CustomField", ""),
            sent_at=local_time(fields.get("StartTime"), IST),
            call_duration=positive_int(fields.get("ConversationDuration")),
        )


def _by_name(detailed: str) -> Status | None:
    """The codes Exotel adds over time follow a naming rule: DLT and DND refusals, then
    FAILED_* failures."""
    if "DLT" in detailed or "DND" in detailed:
        return Status.REJECTED
    if "EXPIRED" in detailed:
        return Status.EXPIRED
    return Status.FAILED if detailed.startswith("FAILED") else None


def _fields(request: InboundRequest) -> dict[str, str]:
    """The callback's fields, whichever of form, multipart or JSON Exotel was asked for."""
    if request.content_type == "application/json" or request.body.lstrip()[:1] == b"{":
        return {key: text(value) for key, value in as_dict(request.json()).items()}
    if request.content_type != "multipart/form-data":
        return {key: value.strip() for key, value in form_values(request).items()}
    return multipart_fields(request)
