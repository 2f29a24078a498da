"""The request bodies the traffic simulation (webhooks/simulation.py) sends: one builder
per provider, shaped as that provider's documentation and fixtures show them."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30))

# One MCC-MNC per operator, from the India codes the Infobip adapter maps back to names.
INFOBIP_MCC_MNC = {"JIO": "405857", "AIRTEL": "40410", "VI": "40420", "BSNL": "40434"}
# Infobip status group and status name per canonical status.
INFOBIP_STATUS = {
    "sent": ("PENDING", "PENDING_ENROUTE", 7),
    "delivered": ("DELIVERED", "DELIVERED_TO_HANDSET", 5),
    "undelivered": ("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", 9),
    "failed": ("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", 9),
    "expired": ("EXPIRED", "EXPIRED_EXPIRED", 15),
    "rejected": ("REJECTED", "REJECTED_NETWORK", 6),
}


# What Infobip reports per SMS part for these routes, in the account's currency.
INFOBIP_PRICE = {"pricePerMessage": 0.0025, "currency": "EUR"}


def segments_of(message_id: str) -> int:
    """How many parts a simulated message has: most one, some two or three (long or Unicode
    texts). From the id, not the generator's random stream, so seeded traffic is unchanged."""
    draw = hashlib.sha256(message_id.encode()).digest()[0] % 10
    return 1 if draw < 7 else 2 if draw < 9 else 3


@dataclass
class Plan:
    """One simulated message: what its reports repeat."""

    provider: str
    channel: str
    message_id: str
    to: str
    client_ref: str
    operator: str
    template: str
    submitted: datetime


def _iso(when: datetime) -> str:
    # SMSTAKE writes Indian Standard Time with its offset, as in its documentation.
    return when.astimezone(IST).isoformat(timespec="seconds")


def smstake_payload(
    plan: Plan,
    status: str,
    code: str,
    when: datetime,
    error_code: str | None,
    error_message: str | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": "message.dlr",
        "message_id": plan.message_id,
        "channel": plan.channel,
        "to": plan.to,
        "from": "SMSTKE",
        "status": status,
        "status_code": code,
        "operator": plan.operator,
        "submitted_at": _iso(plan.submitted),
        "delivered_at": _iso(when) if status == "delivered" else None,
        "dlt_template_id": plan.template if plan.channel == "sms" else None,
        "client_ref": plan.client_ref,
        "error_code": error_code,
        "error_message": error_message,
    }
    if plan.channel == "sms":
        payload["segments"] = segments_of(plan.message_id)
    if status not in ("submitted", "delivered"):
        payload["timestamp"] = _iso(when)
    if status == "read":
        payload["read_at"] = _iso(when)
    return payload


def wavix_payload(
    plan: Plan,
    status: str,
    when: datetime,
    error_code: str | None,
    error_message: str | None,
) -> dict[str, Any]:
    final = status != "sent"
    return {
        "delivered": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if final else None,
        "error": {"code": error_code, "message": error_message} if error_code else None,
        "from": "SenderID",
        "message_id": plan.message_id,
        "message_type": "sms",
        "segments_count": segments_of(plan.message_id),
        "sent": plan.submitted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "status": status
        if status in ("sent", "delivered", "rejected", "expired")
        else ("undelivered"),
        "to": plan.to.lstrip("+"),
        "tag": plan.client_ref,
    }


def infobip_payload(
    plan: Plan,
    status: str,
    when: datetime,
    error_code: str | None,
    error_message: str | None,
) -> dict[str, Any]:
    group, name, status_id = INFOBIP_STATUS.get(status, INFOBIP_STATUS["sent"])
    error = {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False}
    if error_code:
        # DLT scrubbing codes pass through as the operator reports them.
        error = {
            "groupId": 1,
            "groupName": "HANDSET_ERRORS" if status == "undelivered" else "OPERATOR_ERRORS",
            "id": error_code,
            "name": error_code,
            "description": error_message,
            "permanent": status == "rejected",
        }
    return {
        "results": [
            {
                "messageId": plan.message_id,
                "to": plan.to.lstrip("+"),
                "sentAt": plan.submitted.astimezone(UTC).isoformat(timespec="milliseconds"),
                "doneAt": when.astimezone(UTC).isoformat(timespec="milliseconds"),
                "smsCount": segments_of(plan.message_id),
                "mccMnc": INFOBIP_MCC_MNC[plan.operator],
                "callbackData": plan.client_ref,
                "price": INFOBIP_PRICE,
                "status": {"groupId": 0, "groupName": group, "id": status_id, "name": name},
                "error": error,
            }
        ]
    }
