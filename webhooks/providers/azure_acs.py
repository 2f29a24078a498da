"""Azure Communication Services SMS delivery reports, delivered by Event Grid.

Documentation: https://learn.microsoft.com/azure/event-grid/communication-services-telephony-sms-events
(`Microsoft.Communication.SMSDeliveryReportReceived`: a JSON array of events whose `data`
carries `messageId`, `from`, `to`, `deliveryStatus` — Delivered or Failed —,
`deliveryStatusDetails`, `receivedTimestamp`, `deliveryAttempts[]` and `Tag`; older
examples spell the keys in PascalCase, so keys are read case-insensitively) and
https://learn.microsoft.com/azure/event-grid/webhook-event-delivery (the
`Microsoft.EventGrid.SubscriptionValidationEvent` handshake, answered
`{"validationResponse": <validationCode>}`). The SDK's model of the event is
`AcsSmsDeliveryReportReceivedEventData` in
https://github.com/Azure/azure-sdk-for-python/blob/main/sdk/eventgrid/azure-eventgrid/azure/eventgrid/_generated/models/_models_py3.py
(the SDK for Python). Event Grid does not sign webhooks: the endpoint secret is given as
a `token` query parameter of the subscription's URL (or as the basic-auth password), and
the validation handshake is answered only when that token is right.

Fixtures (tests/fixtures/azure_acs/): `delivered.json`, `failed.json`, `sms_received.json`
and `subscription_validation.json` (see SOURCES.md there).
"""

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse, JsonResponse

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    as_list,
    parse_time,
    positive_int,
    text,
    verify_token,
)

STATUS_MAP: dict[str, Status] = {
    "delivered": Status.DELIVERED,
    "failed": Status.FAILED,
}
REPORT = "microsoft.communication.smsdeliveryreportreceived"
VALIDATION = "microsoft.eventgrid.subscriptionvalidationevent"


class AzureAcsProvider(Provider):
    name = "azure_acs"
    label = "Azure Communication Services (Event Grid)"
    secret_params = ("token", "validationUrl", "validationCode")
    setup_help = (
        "Azure portal → your Communication Services resource → Events → + Event Subscription: "
        "event type “SMS Delivery Report Received”, schema “Event Grid Schema”, endpoint type "
        "Web Hook, endpoint this URL with ?token=<secret>. dlrdash answers Event Grid's "
        "validation handshake itself."
    )

    def handshake(self, request: InboundRequest, secrets: Sequence[str]) -> HttpResponse | None:
        if b"subscriptionvalidationevent" not in request.body.lower():
            return None  # every report: no need to parse it twice
        code = next(
            (
                text(_lower(event.get("data")).get("validationcode"))
                for event in _events(_json_or_none(request))
                if text(event.get("eventType")).lower() == VALIDATION
            ),
            None,
        )
        if code is None:
            return None
        verify_token(request, secrets)  # answered only to the subscription we were given
        return JsonResponse({"validationResponse": code})

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json()
        if not isinstance(data, list | dict):
            raise ParseError("expected an array of Event Grid events")
        reports = []
        for index, event in enumerate(data if isinstance(data, list) else [data]):
            if not isinstance(event, dict):
                self.item_errors.append(f"[{index}]: not an object")
            elif text(event.get("eventType")).lower() == REPORT:
                try:
                    reports.append(self._report(event))
                except ParseError as exc:
                    self.item_errors.append(f"[{index}]: {exc}")
            # Other event types (the validation handshake, SMSReceived) carry no status.
        return reports

    def _report(self, event: dict[str, Any]) -> DeliveryReport:
        data = _lower(event.get("data"))
        message_id = text(data.get("messageid"))
        if not message_id:
            raise ParseError("missing data.messageId")
        raw_status = text(data.get("deliverystatus"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        at = parse_time(data.get("receivedtimestamp")) or parse_time(event.get("eventTime"))
        attempt = _lower((as_list(data.get("deliveryattempts")) or [None])[-1])
        segments = (positive_int(attempt.get("segmentssucceeded")) or 0) + (
            positive_int(attempt.get("segmentsfailed")) or 0
        )
        return DeliveryReport(
            provider=self.name,
            message_id=message_id,
            status=status,
            provider_status=raw_status,
            event_time=at,
            # "No error." on success: a detail only worth keeping for a failure.
            error_message=text(data.get("deliverystatusdetails")) if status != "delivered" else "",
            channel=Channel.SMS,
            to=text(data.get("to")),
            sender=text(data.get("from")),
            tag=text(data.get("tag")),
            segments=segments or None,
            delivered_at=at if status == Status.DELIVERED else None,
        )


def _lower(value: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in as_dict(value).items()}


def _json_or_none(request: InboundRequest) -> Any:
    try:
        return request.json()
    except ParseError:
        return None


def _events(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]
