"""Jasmin SMS gateway delivery receipts (HTTP DLR, levels 1, 2 and 3).

Documentation: https://docs.jasminsms.com/en/latest/apis/ja-http/index.html#receiving-dlr
(fields: `id`, `message_status`, `level`, `connector`; level 2/3 add `id_smsc`, `sub`,
`dlvrd`, `subdate`, `donedate`, `err`, `text`). Level 1 says whether the SMSC accepted the
submission (`message_status` ESME_ROK or an ESME_R* error), level 2 is the terminal receipt
(DELIVRD, UNDELIV, EXPIRED, REJECTD…). Jasmin retries until it is answered exactly
`ACK/Jasmin`. It does not sign: the dlr-url carries the endpoint secret as `token`.

Fixtures (tests/fixtures/jasmin/): `level1_accepted.txt`, `level2_delivered.txt`,
`level2_undelivered.txt` — POST forms with the documented field names and values; the ids
and texts are ours (the documentation gives field lists, not captured requests).
"""

from collections.abc import Sequence

from django.http import HttpResponse

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import InboundRequest, ParseError, Provider, form_values, verify_token
from .smpp import STAT_MAP, receipt_date


class JasminProvider(Provider):
    name = "jasmin"
    label = "Jasmin"
    methods = ("GET", "POST")
    setup_help = (
        "Jasmin: send with dlr=yes, dlr-level=2 (or 3), dlr-method=POST and "
        "dlr-url=<this URL>?token=<secret>; paste the same secret here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        verify_token(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = form_values(request)
        message_id = data.get("id", "")
        if not message_id:
            raise ParseError("missing id")
        raw_status = data.get("message_status", "")
        if raw_status.upper().startswith("ESME_"):
            accepted = raw_status.upper() == "ESME_ROK"
            status = Status.SUBMITTED if accepted else Status.REJECTED
            error_code = "" if accepted else raw_status
        else:
            status = STAT_MAP.get(raw_status.upper(), Status.UNKNOWN)
            err = data.get("err", "")
            error_code = err if err.strip("0") else ""
        done = receipt_date(data.get("donedate", ""))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=message_id,
                status=status,
                provider_status=raw_status,
                event_time=done,
                provider_code=data.get("level", ""),
                error_code=error_code,
                channel=Channel.SMS,
                submitted_at=receipt_date(data.get("subdate", "")),
                delivered_at=done if status == Status.DELIVERED else None,
            )
        ]

    def acknowledge(self) -> HttpResponse:
        # Anything else (even "OK") makes Jasmin retry the receipt.
        return HttpResponse("ACK/Jasmin", content_type="text/plain")
