"""Standard Webhooks: a generic signed JSON format, for providers and in-house senders.

Documentation: https://www.standardwebhooks.com/ and the specification
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md:
headers `webhook-id`, `webhook-timestamp` (Unix seconds, ±5 minutes) and
`webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` over
`<id>.<timestamp>.<body>`, keyed by the base64 secret after its `whsec_` prefix (several
signatures while a secret is rotated). Checked against the specification's test vector
(secret `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, id `msg_p5jXN8AQM9LWM0D4loKWxJek`,
timestamp 1614265330). Svix's `svix-*` headers are the same scheme and accepted too.

The body dlrdash reads: `{"type": "message.status", "timestamp": …, "data": {...}}` where
`data` is one report or a list of reports with `message_id`, `status` (dlrdash's canonical
names or common synonyms), `error_code`, `error_message`, `to`, `from`, `channel`,
`operator`, `client_ref`, `timestamp`.

Fixtures (tests/fixtures/standard_webhooks/): `delivered.json`, `failed.json`,
`batch_with_bad_item.json` — dlrdash's own body format, described above.
"""

from collections.abc import Sequence
from typing import Any

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    AuthError,
    InboundRequest,
    ParseError,
    Provider,
    b64decode_loose,
    constant_time_equal,
    hmac_b64,
    parse_time,
    positive_int,
    text,
    timestamp_check,
)

STATUS_MAP: dict[str, Status] = {
    **{s.value: s for s in Status},
    "accepted": Status.SUBMITTED,
    "pending": Status.SENT,
    "dispatched": Status.SENT,
    "failed_to_send": Status.FAILED,
    "no-answer": Status.NO_ANSWER,
}
CHANNELS = {c.value for c in Channel}
TOLERANCE = 300  # seconds, as the specification says


class StandardWebhooksProvider(Provider):
    name = "standard_webhooks"
    label = "Standard Webhooks (generic)"
    secret_headers = ("authorization", "webhook-signature", "svix-signature")
    setup_help = (
        "Any sender that speaks Standard Webhooks (standardwebhooks.com): register this URL "
        "and paste its signing secret (whsec_…) here; add the new one while rotating."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        msg_id = request.header("webhook-id") or request.header("svix-id")
        timestamp = request.header("webhook-timestamp") or request.header("svix-timestamp")
        header = request.header("webhook-signature") or request.header("svix-signature")
        if not msg_id or not timestamp or not header:
            raise AuthError("missing webhook-id, webhook-timestamp or webhook-signature")
        timestamp_check(timestamp, tolerance=TOLERANCE)
        offered = [
            sig for version, _, sig in (p.partition(",") for p in header.split()) if version == "v1"
        ]
        if not offered:
            raise AuthError("no v1 signature")
        signed = f"{msg_id}.{timestamp}.".encode("utf-8", "surrogateescape") + request.body
        for secret in secrets:
            key = b64decode_loose(secret.removeprefix("whsec_")) if secret else None
            if not key:
                continue
            expected = hmac_b64(key, signed)
            if any(constant_time_equal(sig, expected) for sig in offered):
                return
        raise AuthError("wrong webhook-signature")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        envelope = request.json_object()
        data = envelope.get("data")
        items = data if isinstance(data, list) else [data]
        reports = []
        for index, item in enumerate(items):
            try:
                reports.append(self._report(item, envelope))
            except ParseError as exc:
                if not isinstance(data, list):
                    raise
                self.item_errors.append(f"data[{index}]: {exc}")
        return reports

    def _report(self, item: Any, envelope: dict[str, Any]) -> DeliveryReport:
        if not isinstance(item, dict) or not text(item.get("message_id")):
            raise ParseError("missing data.message_id")
        raw_status = text(item.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        channel = text(item.get("channel")).lower()
        at = parse_time(item.get("timestamp")) or parse_time(envelope.get("timestamp"))
        return DeliveryReport(
            provider=self.name,
            message_id=text(item.get("message_id")),
            status=status,
            provider_status=raw_status,
            event_time=at,
            provider_code=text(item.get("status_code")),
            error_code=text(item.get("error_code")),
            error_message=text(item.get("error_message")),
            channel=channel if channel in CHANNELS else "",
            to=text(item.get("to")),
            sender=text(item.get("from")),
            operator=text(item.get("operator")),
            client_ref=text(item.get("client_ref")),
            segments=positive_int(item.get("segments")),
            delivered_at=at if status == Status.DELIVERED else None,
        )
