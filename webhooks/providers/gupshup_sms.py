"""Gupshup enterprise SMS delivery reports: one report from its fields.

Documentation: https://docs.gupshup.io/docs/real-time-delivery-reports. A GET report says
`status` SUCCESS/FAILURE/UNKNOWN and a POST batch item `eventType`; both carry the
operator's `cause` (ABSENT_SUBSCRIBER, DND_FAIL…) and its `errCode` (001, 006…).
"""

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import ParseError, positive_int
from .timestamps import epoch_time

SMS_MAP: dict[str, Status] = {
    "SUCCESS": Status.DELIVERED,
    "DELIVERED": Status.DELIVERED,
    "FAILURE": Status.UNDELIVERED,
    "FAILED": Status.UNDELIVERED,
    "UNDELIV": Status.UNDELIVERED,
    "EXPIRED": Status.EXPIRED,
}
# Causes that say the message was refused before any delivery attempt (DND, DLT, blocked
# sender), or that it timed out: more precise than the FAILURE they come with.
CAUSE_MAP: dict[str, Status] = {
    **dict.fromkeys(
        ("DND_FAIL", "DND_TIMEOUT", "BLOCKED", "BLOCKED_MASK", "OUTSIDE_WORKING_HOURS"),
        Status.REJECTED,
    ),
    "MSG_DOES_NOT_MATCH_TEMPLATE": Status.REJECTED,
    "SMSCTIMEDOUT": Status.EXPIRED,
    "NO_ACK_FROM_OPERATOR": Status.EXPIRED,
}
# Field names (time, status, recipient, sender) of a GET report and of a POST batch item.
GET_FIELDS = ("deliveredTS", "status", "phoneNo", "mask")
BATCH_FIELDS = ("eventTs", "eventType", "destAddr", "srcAddr")


def sms_report(fields: dict[str, str], names: tuple[str, ...]) -> DeliveryReport:
    """One SMS report from its fields; `names` says which (GET_FIELDS or BATCH_FIELDS)."""
    time, state, to, sender = names
    message_id = fields.get("externalId", "").strip()
    if not message_id:
        raise ParseError("missing externalId")
    raw_status = fields.get(state, "").strip()
    cause = fields.get("cause", "").strip()
    status = SMS_MAP.get(raw_status.upper(), Status.UNKNOWN)
    if status != Status.DELIVERED:
        status = CAUSE_MAP.get(cause.upper(), status)
    error = fields.get("errCode", "").strip()
    when = epoch_time(fields.get(time))
    return DeliveryReport(
        provider="gupshup",
        message_id=message_id,
        status=status,
        provider_status=raw_status,
        event_time=when,
        provider_code=cause,
        error_code=error if error.strip("0") and status != Status.DELIVERED else "",
        error_message=cause if status != Status.DELIVERED else "",
        channel=Channel.SMS,
        to=fields.get(to, "").strip(),
        sender=fields.get(sender, "").strip(),
        segments=positive_int(fields.get("noOfFrags")),
        delivered_at=when if status == Status.DELIVERED else None,
    )
