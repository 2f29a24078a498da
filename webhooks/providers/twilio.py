"""Twilio Programmable Messaging status callbacks (SMS, MMS, WhatsApp), and Voice call
status callbacks on the same endpoint (`CallSid`: see voice_callbacks).

Documentation: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
(the form fields and the status list) and https://www.twilio.com/docs/usage/security
(`X-Twilio-Signature`: base64 HMAC-SHA1, keyed by the auth token, over the full URL the
request was sent to followed by every POST field name and value, sorted by name; for JSON
bodies the URL carries `bodySHA256` and no fields are appended). Checked against the
vectors of twilio-python's `tests/unit/test_request_validator.py`.

Fixtures (tests/fixtures/twilio/): `delivered.txt`, `undelivered_30003.txt` and
`whatsapp_read.txt`, form bodies with the fields of the documentation's status callback
example (its placeholder numbers; the SIDs are ours); `voice_completed.txt`,
`voice_busy.txt` and `voice_no_answer.txt`, with the fields of the Call resource's
status callback (https://www.twilio.com/docs/voice/api/call-resource#statuscallback).
"""

import base64
import hashlib
import hmac
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
    positive_int,
    sha256_hex,
)
from .smpp import receipt_date
from .voice_callbacks import twilio_call_report

STATUS_MAP: dict[str, Status] = {
    "accepted": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "queued": Status.QUEUED,
    "sending": Status.SUBMITTED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}
SIGNATURE_HEADER = "x-twilio-signature"
_DEFAULT_PORTS = {"https": 443, "http": 80}


class TwilioProvider(Provider):
    name = "twilio"
    label = "Twilio"
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "Twilio Console → Messaging → Services → your service → Integration: paste this URL "
        "as “Status callback URL” (or pass it as StatusCallback per message). Paste the "
        "account's Auth Token here (Account → API keys & tokens)."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        signature = request.header(SIGNATURE_HEADER).strip()
        if not signature:
            raise AuthError("missing X-Twilio-Signature")
        if request.content_type == "application/json":
            body_hash = parse_qs(urlsplit(request.url).query).get("bodySHA256", [""])[0]
            if not constant_time_equal(body_hash.lower(), sha256_hex(request.body)):
                raise AuthError("bodySHA256 does not match the body")
            fields = ""
        else:
            try:
                form = request.form()
            except ParseError:
                raise AuthError("body is not a form") from None
            fields = "".join(k + v for k in sorted(form) for v in form[k])
        for url in _url_variants(request.url):
            for secret in secrets:
                if secret and constant_time_equal(signature, _sign(secret, url + fields)):
                    return
        raise AuthError("wrong X-Twilio-Signature")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = form_values(request)
        message_id = data.get("MessageSid") or data.get("SmsSid") or ""
        if not message_id and data.get("CallSid"):
            return [twilio_call_report(data)]  # a Voice status callback
        if not message_id:
            raise ParseError("missing MessageSid")
        raw_status = data.get("MessageStatus") or data.get("SmsStatus") or ""
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        to = data.get("To", "")
        channel = Channel.SMS
        if to.startswith("whatsapp:") or data.get("ChannelPrefix") == "whatsapp":
            channel = Channel.WHATSAPP
        elif positive_int(data.get("NumMedia")):
            channel = Channel.MMS
        done = receipt_date(data.get("RawDlrDoneDate", ""))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=done,
                error_code=data.get("ErrorCode", ""),
                error_message=data.get("ErrorMessage", ""),
                channel=channel,
                to=to.removeprefix("whatsapp:"),
                sender=data.get("From", "").removeprefix("whatsapp:"),
                segments=positive_int(data.get("NumSegments")),
                delivered_at=done if status == Status.DELIVERED else None,
            )
        ]


def _sign(secret: str, data: str) -> str:
    digest = hmac.new(secret.encode(), data.encode("utf-8", "surrogateescape"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as called, with and without its default port: Twilio's SDKs accept both."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        return [url]
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    if port is None and default:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}"))
    elif port == default:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    else:
        return [url]
    return [url, other]
