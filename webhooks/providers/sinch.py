"""Sinch SMS delivery reports: per-recipient and batch reports.

Documentation: https://developers.sinch.com/docs/sms/api-reference/sms/tag/Delivery-reports
(`recipient_delivery_report_sms`: `batch_id`, `recipient`, `status`, `code`, `at`,
`operator_status_at`, `client_reference`, `operator`; `delivery_report_sms`: `statuses[]`
with `code`, `status`, `count`, `recipients[]`) and the callback signing guide
https://developers.sinch.com/docs/conversation/keyconcepts#callback-signing:
`x-sinch-webhook-signature` is base64 HMAC-SHA256 (or -SHA512, as
`x-sinch-webhook-signature-algorithm` says), keyed by the callback secret, over
`<raw body>.<x-sinch-webhook-signature-nonce>.<x-sinch-webhook-signature-timestamp>`;
the timestamp (Unix seconds) must be within 300 seconds. Checked against the vector of
sinch-sdk-dotnet's `Conversation/WebhooksTests.ValidateRequest`. SMS REST API callbacks that
come without those headers (the API's own options are basic auth or OAuth, set up by Sinch
support) are authenticated by the endpoint secret as basic-auth password or `token`.

A Sinch message is a batch: `message_id` is the `batch_id`, the recipient goes to `to`.
Summary batch reports name no recipient, so they are used only for single-message batches.

Fixtures (tests/fixtures/sinch/): `recipient_delivered.json`, `recipient_failed_402.json`
(code 402, unroutable) and `batch_full.json`, shaped as the API reference's schemas;
batch id and numbers as in its examples, the rest ours.
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
    as_list,
    constant_time_equal,
    hmac_b64,
    parse_time,
    positive_int,
    text,
    timestamp_check,
    verify_token,
)

STATUS_MAP: dict[str, Status] = {
    "queued": Status.QUEUED,
    "dispatched": Status.SENT,
    "aborted": Status.FAILED,
    "cancelled": Status.FAILED,
    "rejected": Status.REJECTED,
    "deleted": Status.FAILED,
    "delivered": Status.DELIVERED,
    "failed": Status.UNDELIVERED,
    "expired": Status.EXPIRED,
    "unknown": Status.UNKNOWN,
}
SIGNATURE_HEADER = "x-sinch-webhook-signature"
TOLERANCE = 300  # seconds
ALGORITHMS = {"hmacsha256": "sha256", "hmacsha512": "sha512"}
# `code` 0 is "delivered"; 400/401 are queued/dispatched: not errors.
_NOT_ERRORS = {"", "0", "400", "401"}


class SinchProvider(Provider):
    name = "sinch"
    label = "Sinch"
    secret_headers = ("authorization", SIGNATURE_HEADER)
    setup_help = (
        "Sinch Customer Dashboard → SMS → APIs → your service: paste this URL as “Callback "
        "URL” and set delivery_report to per_recipient (or full) when sending. Paste the "
        "webhook signing secret here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        signature = request.header(SIGNATURE_HEADER).strip()
        nonce = request.header(SIGNATURE_HEADER + "-nonce")
        timestamp = request.header(SIGNATURE_HEADER + "-timestamp").strip()
        if not (signature or nonce or timestamp):
            verify_token(request, secrets)
            return
        if not signature or not nonce or not timestamp:
            raise AuthError("incomplete x-sinch-webhook-signature headers")
        algorithm = request.header(SIGNATURE_HEADER + "-algorithm") or "HmacSHA256"
        digest = ALGORITHMS.get(algorithm.strip().lower())
        if digest is None:
            raise AuthError("unsupported signature algorithm")
        timestamp_check(timestamp, tolerance=TOLERANCE)
        signed = request.body + f".{nonce}.{timestamp}".encode("utf-8", "surrogateescape")
        for secret in secrets:
            expected = hmac_b64(secret.encode(), signed, digest) if secret else ""
            if secret and constant_time_equal(signature, expected):
                return
        raise AuthError("wrong x-sinch-webhook-signature")

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object()
        kind = text(data.get("type"))
        batch_id = text(data.get("batch_id"))
        if not batch_id:
            raise ParseError("missing batch_id")
        if kind.startswith("recipient_delivery_report"):
            return [self._report(data, batch_id, data, text(data.get("recipient")))]
        if not kind.startswith("delivery_report"):
            raise ParseError(f"unknown report type {kind!r}")
        reports = []
        for index, entry in enumerate(as_list(data.get("statuses"))):
            if not isinstance(entry, dict):
                self.item_errors.append(f"statuses[{index}]: not an object")
                continue
            recipients = [r for r in as_list(entry.get("recipients")) if isinstance(r, str)]
            if not recipients and positive_int(data.get("total_message_count")) == 1:
                recipients = [""]
            elif not recipients:
                self.item_errors.append(f"statuses[{index}]: a summary names no recipient")
            reports += [self._report(data, batch_id, entry, r) for r in recipients]
        return reports

    def _report(
        self, data: dict[str, Any], batch_id: str, entry: dict[str, Any], recipient: str
    ) -> DeliveryReport:
        raw_status = text(entry.get("status"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        code = text(entry.get("code"))
        at = parse_time(data.get("operator_status_at")) or parse_time(data.get("at"))
        return DeliveryReport(
            provider=self.name,
            message_id=batch_id,
            status=status,
            provider_status=raw_status,
            event_time=at,
            provider_code=code,
            error_code="" if code in _NOT_ERRORS else code,
            channel=Channel.SMS,
            to=recipient,
            sender=text(data.get("applied_originator")),
            operator=text(data.get("operator")),
            client_ref=text(data.get("client_reference")),
            segments=positive_int(data.get("number_of_message_parts")),
            delivered_at=at if status == Status.DELIVERED else None,
        )
