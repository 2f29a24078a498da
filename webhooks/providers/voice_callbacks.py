"""Voice call status callbacks of Twilio and Plivo, which arrive on their messaging
endpoints, signed the same way: each adapter hands a form with a call id here.

Twilio: https://www.twilio.com/docs/voice/api/call-resource#statuscallback (`CallSid`,
`CallStatus` queued / initiated / ringing / in-progress / completed / busy / no-answer /
canceled / failed, `CallDuration` in seconds once completed, `Timestamp` in RFC 2822,
`SipResponseCode`). Plivo: https://www.plivo.com/docs/voice/xml/the-hangup-url and
https://www.plivo.com/docs/voice/troubleshooting/hangup-causes (`CallUUID`, `CallStatus`
in-progress / completed / busy / failed / timeout / no-answer / cancel, `Duration` and
`BillDuration` in seconds, `HangupCauseName`, `HangupCauseCode`, `AnswerTime`, `EndTime`).
A call that ended after being connected is `answered` with its duration; one that did not
connect is `busy`, `no_answer` or a failure with the provider's cause as the error code.
"""

from datetime import datetime
from email.utils import parsedate_to_datetime

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import parse_time, positive_int

TWILIO_CALL_STATUS: dict[str, Status] = {
    "queued": Status.QUEUED,
    "initiated": Status.SUBMITTED,
    "ringing": Status.SENT,
    "in-progress": Status.ANSWERED,
    "completed": Status.ANSWERED,  # Twilio says completed only of a call that connected
    "busy": Status.BUSY,
    "no-answer": Status.NO_ANSWER,
    "canceled": Status.FAILED,
    "failed": Status.FAILED,
}
PLIVO_CALL_STATUS: dict[str, Status] = {
    "ringing": Status.SENT,
    "in-progress": Status.ANSWERED,
    "busy": Status.BUSY,
    "no-answer": Status.NO_ANSWER,
    "timeout": Status.NO_ANSWER,
    "failed": Status.FAILED,
    "cancel": Status.FAILED,
    "canceled": Status.FAILED,
}


def twilio_call_report(data: dict[str, str]) -> DeliveryReport:
    raw_status = data.get("CallStatus", "")
    status = TWILIO_CALL_STATUS.get(raw_status.lower(), Status.UNKNOWN)
    ended = status != Status.ANSWERED
    return DeliveryReport(
        provider="twilio",
        message_id=data["CallSid"],
        status=status,
        provider_status=raw_status,
        event_time=_rfc2822(data.get("Timestamp", "")),
        provider_code=data.get("SipResponseCode", ""),
        error_code=data.get("ErrorCode", "") if ended else "",
        channel=Channel.VOICE,
        to=data.get("To", ""),
        sender=data.get("From", ""),
        call_duration=positive_int(data.get("CallDuration")) if not ended else None,
    )


def plivo_call_report(data: dict[str, str]) -> DeliveryReport:
    raw_status = data.get("CallStatus", "")
    duration = positive_int(data.get("Duration") or data.get("BillDuration"))
    status = PLIVO_CALL_STATUS.get(raw_status.lower(), Status.UNKNOWN)
    if raw_status.lower() == "completed":
        # Plivo's hangup callback says completed of a call that never connected too.
        status = Status.ANSWERED if duration else Status.UNKNOWN
    answered = status == Status.ANSWERED
    return DeliveryReport(
        provider="plivo",
        message_id=data["CallUUID"],
        status=status,
        provider_status=raw_status,
        event_time=parse_time(data.get("EndTime")) or parse_time(data.get("AnswerTime")),
        error_code="" if answered else data.get("HangupCauseCode", ""),
        error_message="" if answered else data.get("HangupCauseName", ""),
        channel=Channel.VOICE,
        to=data.get("To", ""),
        sender=data.get("From", ""),
        call_duration=duration if answered else None,
    )


def _rfc2822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
