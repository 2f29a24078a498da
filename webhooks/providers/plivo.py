"""Plivo message status callbacks (SMS, MMS, WhatsApp), and voice call callbacks on the
same endpoint (`CallUUID`: see voice_callbacks).

Documentation: https://www.plivo.com/docs/messaging/concepts/callbacks (the fields:
`MessageUUID`, `Status`, `ErrorCode`, `To`, `From`, `Units`, `TotalRate`, `TotalAmount`
(TotalRate × Units, in the account's currency, US dollars), `MCC`, `MNC`, `Sequence`,
`ConversationOrigin` (WhatsApp's pricing category)…)
and https://www.plivo.com/docs/messaging/concepts/signature-validation:
`X-Plivo-Signature-V3` is base64 HMAC-SHA256, keyed by the auth token, over
`<URL with its query sorted>?` + the POST fields sorted and concatenated (name then value)
+ `.` + `X-Plivo-Signature-V3-Nonce`; several comma-separated signatures are sent while more
than one auth token is active (and `X-Plivo-Signature-MA-V3`, made with the main
account's token, for subaccounts). The older `X-Plivo-Signature-V2` signs the URL without its
query followed by `X-Plivo-Signature-V2-Nonce`. Written after plivo-python's
`plivo/utils/signature_v3.py`; the V2 vector is from its `tests/resources/test_signature.py`.

Fixtures (tests/fixtures/plivo/): `delivered.txt`, `undelivered_300.txt` (error 300,
“Failed to dispatch message”), `delivered_multipart.txt` (3 units at 0.0035 each),
`price_malformed.txt` (a `TotalAmount` that is not a number) — form bodies with the
documented callback fields; the ids and numbers are ours. `voice_completed.txt` and
`voice_failed_2010.txt`: hangup callbacks with the fields of
https://www.plivo.com/docs/voice/xml/the-hangup-url and a cause of
https://www.plivo.com/docs/voice/troubleshooting/hangup-causes.
"""

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    constant_time_equal,
    form_values,
    hmac_b64,
    parse_time,
    positive_int,
)
from .prices import reported_price
from .voice_callbacks import plivo_call_report

# Plivo bills, and reports amounts, in US dollars.
PLIVO_CURRENCY = "USD"

STATUS_MAP: dict[str, Status] = {
    "queued": Status.QUEUED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "rejected": Status.REJECTED,
}
V3_HEADER = "x-plivo-signature-v3"
# The same V3 signature made with the main account's token, sent for subaccounts.
MA_V3_HEADER = "x-plivo-signature-ma-v3"
V2_HEADER = "x-plivo-signature-v2"


class PlivoProvider(Provider):
    name = "plivo"
    label = "Plivo"
    secret_headers = ("authorization", V3_HEADER, MA_V3_HEADER, V2_HEADER)
    setup_help = (
        "Plivo Console → Messaging → Applications: paste this URL as “Message URL”, method "
        "POST (or pass it as `url` when sending). Paste the Auth Token (Console → Overview → "
        "Account) here; add a second one while rotating."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        if request.header(V3_HEADER) or request.header(MA_V3_HEADER):
            self._verify_v3(request, secrets)
        elif request.header(V2_HEADER):
            self._verify_v2(request, secrets)
        else:
            raise AuthError("missing X-Plivo-Signature-V3")

    def _verify_v3(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        nonce = request.header("x-plivo-signature-v3-nonce")
        if not nonce:
            raise AuthError("missing X-Plivo-Signature-V3-Nonce")
        try:
            fields = request.form() if request.method == "POST" else {}
        except ParseError:
            raise AuthError("body is not a form") from None
        base = v3_base(request.url, fields) + "." + nonce
        headers = f"{request.header(V3_HEADER)},{request.header(MA_V3_HEADER)}"
        offered = [s.strip() for s in headers.split(",") if s.strip()]
        for secret in secrets:
            if not secret:
                continue
            expected = hmac_b64(secret.encode(), base.encode("utf-8", "surrogateescape"))
            if any(constant_time_equal(sig, expected) for sig in offered):
                return
        raise AuthError("wrong X-Plivo-Signature-V3")

    def _verify_v2(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        nonce = request.header("x-plivo-signature-v2-nonce")
        if not nonce:
            raise AuthError("missing X-Plivo-Signature-V2-Nonce")
        url = urlunsplit(urlsplit(request.url)._replace(query="", fragment=""))
        signature = request.header(V2_HEADER).strip()
        for secret in secrets:
            data = (url + nonce).encode("utf-8", "surrogateescape")
            if secret and constant_time_equal(signature, hmac_b64(secret.encode(), data)):
                return
        raise AuthError("wrong X-Plivo-Signature-V2")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = form_values(request)
        message_id = data.get("MessageUUID", "")
        if not message_id and data.get("CallUUID"):
            return [plivo_call_report(data)]  # a voice call's hangup or answer callback
        if not message_id:
            raise ParseError("missing MessageUUID")
        raw_status = data.get("Status", "")
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        error = data.get("ErrorCode", "")
        mcc_mnc = data.get("MCC", "") + data.get("MNC", "")
        message_type = data.get("MessageType", "").lower()
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=parse_time(data.get("MessageTime")),
                error_code=error if error.strip("0") else "",
                channel=Channel(message_type) if message_type in ("mms", "whatsapp") else "sms",
                to=data.get("To", ""),
                sender=data.get("From", ""),
                operator=mcc_mnc,
                segments=positive_int(data.get("Units")),
                category=data.get("ConversationOrigin", "") if message_type == "whatsapp" else "",
                **reported_price(data.get("TotalAmount"), PLIVO_CURRENCY),
            )
        ]


def v3_base(url: str, fields: dict[str, list[str]]) -> str:
    """The string V3 signs, before `.nonce` (see plivo-python's construct_post_url)."""
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = parse_qs(parts.query, keep_blank_values=True)
    query_string = "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))
    if query_string or fields:
        base += "?" + query_string
    if query_string and fields:
        base += "."
    return base + "".join(f"{k}{v}" for k in sorted(fields) for v in sorted(fields[k]))
