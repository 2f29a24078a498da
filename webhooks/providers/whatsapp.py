"""Meta WhatsApp Cloud API message status webhooks.

Documentation: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
and https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/
(`entry[].changes[].value.statuses[]`: `id` (the wamid), `status` sent / delivered / read /
failed, `timestamp` (Unix seconds), `recipient_id`, `errors[]` {code, title, message,
error_data.details}, `biz_opaque_callback_data`; `pricing` and `conversation` stay in the
stored body). Security: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
— every POST carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` keyed
by the app secret, and the subscription check is a GET with `hub.mode=subscribe`,
`hub.verify_token` and `hub.challenge`, answered with the challenge. Meta's own
WhatsApp-Nodejs-SDK checks both the same way (https://github.com/WhatsApp/WhatsApp-Nodejs-SDK,
`src/api/webhooks.ts`). A `messages` webhook (a user wrote to the business) is authentic but
carries no status: it gives no report.

Fixtures (tests/fixtures/whatsapp/): `sent.json`, `delivered.json`, `read.json`,
`failed_131047.json` and `user_message.json` (see SOURCES.md there).
"""

import hmac
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    as_list,
    constant_time_equal,
    parse_time,
    secret_matches,
    text,
)

STATUS_MAP: dict[str, Status] = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "played": Status.READ,  # a voice message listened to: the audio form of "read"
    "failed": Status.FAILED,
    "deleted": Status.UNKNOWN,  # the user deleted it: says nothing of delivery
}
SIGNATURE_HEADER = "x-hub-signature-256"


class WhatsappProvider(Provider):
    name = "whatsapp"
    label = "WhatsApp Cloud API (Meta)"
    methods = ("GET", "POST")  # GET is the subscription check only
    secret_params = ("token", "hub.verify_token")
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "Meta App Dashboard → WhatsApp → Configuration → Webhook: paste this URL as "
        "“Callback URL” and one of this endpoint's secrets as “Verify token”, then subscribe "
        "to the `messages` field. The App Secret (App settings → Basic) signs every webhook: "
        "keep it among this endpoint's secrets (a second --secret if the verify token differs)."
    )

    def handshake(self, request: InboundRequest, secrets: Sequence[str]) -> HttpResponse | None:
        if request.method != "GET":
            return None
        # Meta expects 403 for a wrong verify token; any other GET is not Meta's either.
        if request.query_value("hub.mode") != "subscribe":
            raise AuthError("GET without hub.mode=subscribe", status=403)
        if not secret_matches(request.query_value("hub.verify_token"), secrets):
            raise AuthError("hub.verify_token is not one of the endpoint's secrets", status=403)
        return HttpResponse(request.query_value("hub.challenge"), content_type="text/plain")

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        scheme, _, offered = request.header(SIGNATURE_HEADER).strip().partition("=")
        if scheme != "sha256" or not offered:
            raise AuthError("missing X-Hub-Signature-256")
        for secret in secrets:
            if secret and constant_time_equal(offered.lower(), _sign(secret, request.body)):
                return
        raise AuthError("wrong X-Hub-Signature-256")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if request.method == "GET":
            return []  # the subscription check: logged, nothing to report
        entries = request.json_object().get("entry")
        if not isinstance(entries, list):
            raise ParseError("missing entry[]")
        reports = []
        for entry in entries:
            for change in as_list(as_dict(entry).get("changes")):
                value = as_dict(as_dict(change).get("value"))
                sender = text(as_dict(value.get("metadata")).get("display_phone_number"))
                for index, item in enumerate(as_list(value.get("statuses"))):
                    try:
                        reports.append(self._report(item, sender))
                    except ParseError as exc:
                        self.item_errors.append(f"statuses[{index}]: {exc}")
        return reports

    def _report(self, item: Any, sender: str) -> DeliveryReport:
        if not isinstance(item, dict) or not text(item.get("id")):
            raise ParseError("missing id")
        raw_status = text(item.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        error = as_dict(next(iter(as_list(item.get("errors"))), None))
        details = text(as_dict(error.get("error_data")).get("details"))
        at = parse_time(_seconds(item.get("timestamp")))
        return DeliveryReport(
            provider=self.name,
            message_id=text(item.get("id")),
            status=status,
            provider_status=raw_status,
            event_time=at,
            error_code=text(error.get("code")),
            error_message=details or text(error.get("title") or error.get("message")),
            channel=Channel.WHATSAPP,
            to=text(item.get("recipient_id")),
            sender=sender,
            client_ref=text(item.get("biz_opaque_callback_data")),
            sent_at=at if status == Status.SENT else None,
            delivered_at=at if status == Status.DELIVERED else None,
            read_at=at if status == Status.READ else None,
            # The conversation's pricing category: a rate card may price each differently.
            category=text(as_dict(item.get("pricing")).get("category")).lower(),
        )


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, "sha256").hexdigest()


def _seconds(value: Any) -> int | None:
    """Meta writes Unix seconds as a string."""
    try:
        return int(text(value))
    except ValueError:
        return None
