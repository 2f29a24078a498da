"""MSG91 SMS delivery-report webhooks (India).

Documentation: https://msg91.com/help/how-can-i-get-the-delivery-reports-on-my-webhook-url
— version 2 posts a form whose `data` field is a JSON array of requests, each with
`requestId`, `senderId`, `campaignName` and `report[]` ({`number`, `status`, `desc`,
`date`, `failedReason`, …}); version 3 posts one flat JSON object per number with the same
fields. Status codes: 1 delivered, 2 failed, 9 NDNC (the do-not-disturb registry), 16 and
25 rejected, 17 blocked number. MSG91 does not sign its webhooks: the endpoint secret
authenticates them, as the `token` query parameter of the webhook URL (or the basic-auth
password). Its send API returns one `requestId` per request, which is the message id here:
send one number per request to follow each message (the numbers of a bulk request share
it). Times are written without a zone, in India time. No official SDK parses these
reports; the field names are the help page's.

Fixtures (tests/fixtures/msg91/): `v2_delivered.txt`, `v2_ndnc.txt` and `v3_delivered.json`
(see SOURCES.md there).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    as_list,
    form_values,
    positive_int,
    text,
    verify_token,
)

STATUS_MAP: dict[str, Status] = {
    "1": Status.DELIVERED,
    "2": Status.FAILED,
    "9": Status.REJECTED,
    "16": Status.REJECTED,
    "17": Status.REJECTED,
    "25": Status.REJECTED,
}
INDIA = ZoneInfo("Asia/Kolkata")


class Msg91Provider(Provider):
    name = "msg91"
    label = "MSG91"
    setup_help = (
        "MSG91 dashboard → SMS → Webhook: paste this URL with ?token=<secret> and choose "
        "version v2 (form) or v3 (JSON), then Save."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        if request.content_type == "application/json":
            document = request.json()
        else:
            try:
                document = json.loads(form_values(request).get("data", ""))
            except (ValueError, RecursionError):
                raise ParseError("no JSON `data` field") from None
        groups = document if isinstance(document, list) else [document]
        reports = []
        for index, group in enumerate(groups):
            group = as_dict(group)
            # Version 3 is one report with the request's fields beside it.
            items = as_list(group.get("report")) if "report" in group else [group]
            for item in items:
                try:
                    reports.append(self._report(group, as_dict(item)))
                except ParseError as exc:
                    self.item_errors.append(f"[{index}]: {exc}")
        if not reports:
            raise ParseError("; ".join(self.item_errors) or "no report in the body")
        return reports

    def _report(self, group: dict[str, Any], item: dict[str, Any]) -> DeliveryReport:
        message_id = text(group.get("requestId"))
        if not message_id:
            raise ParseError("missing requestId")
        code = text(item.get("status"))
        status = STATUS_MAP.get(code, Status.UNKNOWN)
        at = _india_time(text(item.get("date")))
        failed = status not in (Status.DELIVERED, Status.UNKNOWN)
        return DeliveryReport(
            provider=self.name,
            message_id=message_id,
            status=status,
            provider_status=text(item.get("desc")) or code,
            event_time=at,
            provider_code=code,
            error_code=code if failed else "",
            error_message=text(item.get("failedReason")) if failed else "",
            channel=Channel.SMS,
            to=text(item.get("number")),
            sender=text(group.get("senderId")),
            client_ref=text(item.get("clientid")),
            tag=text(group.get("campaignName")),
            segments=positive_int(item.get("credit")),
            delivered_at=at if status == Status.DELIVERED else None,
        )


def _india_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=INDIA)
    except ValueError:
        return None
