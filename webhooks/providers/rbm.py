"""Google RCS Business Messaging (RBM) agent events.

Documentation: https://developers.google.com/business-communications/rcs-business-messaging/guides/integrate/webhooks
(the webhook: a Pub/Sub push envelope `{"message": {"data": <base64 JSON>, "messageId",
"publishTime", "attributes"}, "subscription"}`; `X-Goog-Signature` is the base64
HMAC-SHA512 of the base64-decoded `message.data`, keyed by the agent's client token; the
one-time verification POST `{"clientToken": …, "secret": …}` is answered 200 with the
secret as plain text when the client token is ours), the envelope of
https://cloud.google.com/pubsub/docs/push#receive_push, and
https://developers.google.com/business-communications/rcs-business-messaging/guides/build/events
(user events `DELIVERED`, `READ`, `IS_TYPING` with `senderPhoneNumber`, `messageId`,
`eventId`, `sendTime`, `agentId`; server events `TTL_EXPIRATION_REVOKED` and
`TTL_EXPIRATION_REVOKE_FAILED` with `phoneNumber`). IS_TYPING and the user's own messages
are authentic but carry no status: they give no report. The check follows the guide's own
Node.js sample; Google's sample agents are at
https://github.com/rcs-business-messaging/rbm-api-examples.

Fixtures (tests/fixtures/rbm/): `delivered.json`, `read.json`, `is_typing.json`,
`user_message.json`, `expired_revoked.json` and `verification.json` (see SOURCES.md
there). A user's message text travels base64-encoded: `encoded_json` makes storage
redact it there too.
"""

import json
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
    b64decode_loose,
    constant_time_equal,
    hmac_b64,
    parse_time,
    secret_matches,
    text,
)

STATUS_MAP: dict[str, Status] = {
    "DELIVERED": Status.DELIVERED,
    "READ": Status.READ,
    "TTL_EXPIRATION_REVOKED": Status.EXPIRED,
    # Expired, but the revocation failed: it may still be delivered, so not final.
    "TTL_EXPIRATION_REVOKE_FAILED": Status.UNKNOWN,
}
SIGNATURE_HEADER = "x-goog-signature"


class RbmProvider(Provider):
    name = "rbm"
    label = "Google RCS Business Messaging"
    secret_headers = ("authorization", SIGNATURE_HEADER)
    encoded_json = (("message", "data"),)  # a user's message text is in there
    setup_help = (
        "Business Communications Developer Console → your agent → Integrations → Webhook → "
        "Configure: paste this URL as “Webhook endpoint URL”, paste the console's clientToken "
        "here as the endpoint secret, then click Verify (dlrdash answers the check itself)."
    )

    def handshake(self, request: InboundRequest, secrets: Sequence[str]) -> HttpResponse | None:
        if b'"clientToken"' not in request.body:
            return None  # every report: no need to parse it twice
        data = _json_or_none(request.body)
        if not isinstance(data, dict) or "clientToken" not in data or "message" in data:
            return None
        if not secret_matches(text(data.get("clientToken")), secrets):
            raise AuthError("clientToken is not one of the endpoint's secrets", status=403)
        return HttpResponse(text(data.get("secret")), content_type="text/plain")

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        offered = request.header(SIGNATURE_HEADER).strip()
        if not offered:
            raise AuthError("missing X-Goog-Signature")
        data = _event_bytes(_json_or_none(request.body))
        if data is None:
            raise AuthError("no message.data to check the signature against")
        for secret in secrets:
            if secret and constant_time_equal(offered, hmac_b64(secret.encode(), data, "sha512")):
                return
        raise AuthError("wrong X-Goog-Signature")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        envelope = request.json_object()
        if "clientToken" in envelope and "message" not in envelope:
            return []  # the verification request: logged, nothing to report
        data = _event_bytes(envelope)
        if data is None:
            raise ParseError("missing or malformed message.data")
        event = _json_or_none(data)
        if not isinstance(event, dict):
            raise ParseError("message.data is not a JSON object")
        event_type = text(event.get("eventType")).upper()
        if event_type not in STATUS_MAP:
            return []  # IS_TYPING, a user's message, a capability result: no status
        message_id = text(event.get("messageId"))
        if not message_id:
            raise ParseError("missing messageId")
        status = STATUS_MAP[event_type]
        at = parse_time(event.get("sendTime")) or parse_time(
            as_dict(envelope.get("message")).get("publishTime")
        )
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=event_type,
                event_time=at,
                channel=Channel.RCS,
                to=text(event.get("senderPhoneNumber") or event.get("phoneNumber")),
                sender=text(event.get("agentId")),
                delivered_at=at if status == Status.DELIVERED else None,
                read_at=at if status == Status.READ else None,
            )
        ]


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _event_bytes(envelope: Any) -> bytes | None:
    """The decoded `message.data` of a push envelope: what Google signs and what we read."""
    encoded = as_dict(as_dict(envelope).get("message")).get("data")
    return b64decode_loose(encoded) if isinstance(encoded, str) and encoded else None
