"""Africa's Talking SMS delivery reports.

Documentation: https://docs.africastalking.com/sms/notifications (a form POST
with `id`, `status` Sent/Submitted/Buffered/Rejected/Success/Failed, `phoneNumber`,
`networkCode`, `failureReason` on Rejected and Failed, `retryCount`) and
https://help.africastalking.com/articles/742491-why-did-my-messages-fail (the stages:
"Sent" means Africa's Talking has sent it on, "Submitted" that the operator has it,
"Buffered" that the operator queued it, "Success" that the handset has it). Africa's Talking
does not sign its callbacks: the endpoint secret is the `token` in the callback URL (or the
basic-auth password).

Fixtures (tests/fixtures/africastalking/): `success.txt`, `buffered.txt`,
`failed_user_in_blacklist.txt` and `rejected_insufficient_credit.txt`.
"""

from collections.abc import Sequence

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import InboundRequest, ParseError, Provider, form_values, verify_token

STATUS_MAP: dict[str, Status] = {
    "sent": Status.SUBMITTED,
    "submitted": Status.SENT,
    "buffered": Status.SENT,
    "success": Status.DELIVERED,
    "failed": Status.UNDELIVERED,
    "rejected": Status.REJECTED,
}
# The `networkCode` values the documentation lists (MCC + MNC), for operator breakdowns.
NETWORKS: dict[str, str] = {
    "62120": "Airtel Nigeria",
    "62130": "MTN Nigeria",
    "62150": "Glo Nigeria",
    "62160": "Etisalat Nigeria",
    "63510": "MTN Rwanda",
    "63513": "Tigo Rwanda",
    "63514": "Airtel Rwanda",
    "63902": "Safaricom",
    "63903": "Airtel Kenya",
    "63907": "Orange Kenya",
    "63999": "Equitel Kenya",
    "64002": "Tigo Tanzania",
    "64003": "Zantel Tanzania",
    "64004": "Vodacom Tanzania",
    "64005": "Airtel Tanzania",
    "64101": "Airtel Uganda",
    "64110": "MTN Uganda",
    "64111": "UTL Uganda",
    "64114": "Africell Uganda",
    "65001": "TNM Malawi",
    "65010": "Airtel Malawi",
    "99999": "Athena (sandbox)",
}


class AfricastalkingProvider(Provider):
    name = "africastalking"
    label = "Africa's Talking"
    setup_help = (
        "Africa's Talking dashboard → SMS → SMS Callback URLs → Delivery Reports: paste this "
        "URL with ?token=<secret>."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = {key: value.strip() for key, value in form_values(request).items()}
        message_id = data.get("id", "")
        if not message_id:
            raise ParseError("missing id")
        raw_status = data.get("status", "")
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        reason = (
            data.get("failureReason", "") if status in (Status.UNDELIVERED, Status.REJECTED) else ""
        )
        network = data.get("networkCode", "")
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                error_code=reason,
                channel=Channel.SMS,
                to=data.get("phoneNumber", ""),
                operator=NETWORKS.get(network, network),
            )
        ]
