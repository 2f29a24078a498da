"""Infobip SMS delivery reports: several reports per request in `results[]`.

Documentation: https://www.infobip.com/docs/api/channels/sms/sms-messaging/logs-and-status-reports/receive-outbound-sms-message-report
(each result: `messageId`, `to`, `sentAt`, `doneAt`, `smsCount`, `mccMnc`, `callbackData`,
`price` {pricePerMessage — per SMS part — and currency},
`status` {groupId, groupName, id, name, description}, `error` {groupId, groupName, id,
name, description, permanent}); status groups PENDING, UNDELIVERABLE, DELIVERED, EXPIRED,
REJECTED per https://www.infobip.com/docs/essentials/response-status-and-error-codes.
Infobip does not sign reports: the endpoint secret authenticates them, as the basic-auth
password or a `token` query parameter in the notifyUrl.

Fixtures (tests/fixtures/infobip/): `delivered.json` is the documentation's two-result
example (its ids, numbers and status/error objects); `undeliverable_absent_subscriber.json`
uses the documented UNDELIVERABLE group with error 27 EC_ABSENT_SUBSCRIBER;
`mixed_with_bad_item.json` adds a result without messageId and a non-object;
`delivered_multipart_price.json` is a two-part message at 0.0125 EUR a part.

Infobip names the network only by MCC-MNC; Indian codes are mapped to the operator names
the other providers report (JIO, AIRTEL, VI, BSNL) so operators compare across providers.
Other codes are kept as reported.
"""

from collections.abc import Sequence
from typing import Any

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import (
    InboundRequest,
    ParseError,
    Provider,
    as_dict,
    parse_time,
    positive_int,
    text,
    verify_token,
)
from .prices import reported_price

# India (MCC 404/405) network codes of the four operators' circles (the common ones);
# codes not listed stay as reported.
INDIA_OPERATORS: dict[str, str] = {
    **dict.fromkeys(
        [
            "405840",
            "405854",
            "405855",
            "405856",
            "405857",
            "405858",
            "405859",
            "405860",
            "405861",
            "405862",
            "405863",
            "405864",
            "405865",
            "405866",
            "405867",
            "405868",
            "405869",
            "405870",
            "405871",
            "405872",
            "405873",
            "405874",
        ],
        "JIO",
    ),
    **dict.fromkeys(
        [
            "40402",
            "40403",
            "40410",
            "40416",
            "40431",
            "40440",
            "40445",
            "40449",
            "40470",
            "40490",
            "40492",
            "40493",
            "40494",
            "40495",
            "40496",
            "40497",
            "40498",
            "40551",
            "40552",
            "40553",
            "40554",
            "40555",
            "40556",
        ],
        "AIRTEL",
    ),
    **dict.fromkeys(
        [
            "40401",
            "40405",
            "40411",
            "40413",
            "40415",
            "40420",
            "40427",
            "40430",
            "40443",
            "40446",
            "40460",
            "40484",
            "40486",
            "40488",
            "40412",
            "40414",
            "40422",
            "40424",
            "40444",
            "40456",
            "40478",
            "40482",
            "40487",
            "40489",
        ],
        "VI",
    ),
    **dict.fromkeys(
        [
            "40434",
            "40438",
            "40451",
            "40453",
            "40454",
            "40455",
            "40457",
            "40458",
            "40459",
            "40462",
            "40464",
            "40466",
            "40471",
            "40472",
            "40473",
            "40474",
            "40475",
            "40476",
            "40477",
            "40480",
            "40481",
        ],
        "BSNL",
    ),
}

GROUP_MAP: dict[str, Status] = {
    "PENDING": Status.SENT,
    "ACCEPTED": Status.SUBMITTED,
    "DELIVERED": Status.DELIVERED,
    "UNDELIVERABLE": Status.UNDELIVERED,
    "EXPIRED": Status.EXPIRED,
    "REJECTED": Status.REJECTED,
}


class InfobipProvider(Provider):
    name = "infobip"
    label = "Infobip"
    setup_help = (
        "Infobip: pass this URL with ?token=<secret> as `notifyUrl` when sending, or set it "
        "under Portal → Developers → Subscriptions as the delivery-report URL with basic "
        "authentication (any user name, the secret as password)."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        results = request.json_object().get("results")
        if not isinstance(results, list):
            raise ParseError("missing results[]")
        reports = []
        for index, item in enumerate(results):
            try:
                reports.append(self._report(item))
            except ParseError as exc:
                self.item_errors.append(f"results[{index}]: {exc}")
        return reports

    def _report(self, item: Any) -> DeliveryReport:
        if not isinstance(item, dict) or not text(item.get("messageId")):
            raise ParseError("missing messageId")
        status = as_dict(item.get("status"))
        error = as_dict(item.get("error"))
        group = text(status.get("groupName")).upper()
        canonical = GROUP_MAP.get(group, Status.UNKNOWN)
        done = parse_time(item.get("doneAt"))
        # Error group 0 / id 0 is Infobip's "NO_ERROR": not an error code to count.
        has_error = text(error.get("id")) not in ("", "0")
        return DeliveryReport(
            provider=self.name,
            message_id=text(item.get("messageId")),
            status=canonical,
            provider_status=text(status.get("name")) or group,
            event_time=done,
            provider_code=text(status.get("id")),
            error_code=text(error.get("id")) if has_error else "",
            error_message=text(error.get("description")) if has_error else "",
            channel=Channel.SMS,
            to=text(item.get("to")),
            operator=INDIA_OPERATORS.get(text(item.get("mccMnc")), text(item.get("mccMnc"))),
            client_ref=text(item.get("callbackData")),
            segments=positive_int(item.get("smsCount")),
            **_price(item),
            # `sentAt` is when Infobip took the message from us: the submission time that
            # rollups bucket by and latency counts from (else every report of a day lands
            # in the hour it was received).
            submitted_at=parse_time(item.get("sentAt")),
            sent_at=parse_time(item.get("sentAt")),
            delivered_at=done if canonical == Status.DELIVERED else None,
        )


def _price(item: dict[str, Any]) -> dict[str, Any]:
    price = as_dict(item.get("price"))
    # pricePerMessage is per SMS part: the message cost that times its parts.
    units = positive_int(item.get("smsCount")) or 1
    return reported_price(price.get("pricePerMessage"), price.get("currency"), units=units)
