"""Trying a pasted sample against an endpoint's adapter, storing nothing.

The sample goes through what a real request goes through after it is authenticated —
the same redaction as storage (so a field the log would not keep shows as missing), then
the endpoint's adapter — and the reports come back as people may see them: numbers
masked. Authentication is not checked: a sample carries no valid signature.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs

from deliveries.phones import phone_mask, phone_to_e164
from deliveries.reports import DeliveryReport

from .models import WebhookEndpoint
from .providers import InboundRequest, ParseError
from .providers.custom import CustomProvider
from .redaction import body_to_store, query_to_store
from .vocabulary import report_unmapped

MAX_SAMPLE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SampleReport:
    report: DeliveryReport
    to: str  # masked
    sender: str  # masked when it is a number
    unmapped: bool
    price: Decimal | None = None
    currency: str = ""


@dataclass
class SampleResult:
    reports: list[SampleReport] = field(default_factory=list)
    error: str = ""
    item_errors: list[str] = field(default_factory=list)


def sample_parse(
    *, endpoint: WebhookEndpoint, method: str, content_type: str, query: str, body: bytes
) -> SampleResult:
    """The reports `endpoint` would record from this request, or why it records none."""
    if len(body) > MAX_SAMPLE_BYTES:
        return SampleResult(error=f"the sample is over {MAX_SAMPLE_BYTES // 1024} KB")
    query = query.strip().lstrip("?")
    request = InboundRequest(
        method=method,
        url="",
        headers={"content-type": content_type} if content_type else {},
        query=parse_qs(query_to_store(query, provider=endpoint.provider), keep_blank_values=True),
        body=body_to_store(body, provider=endpoint.provider),
    )
    adapter = endpoint.provider_adapter()
    if method not in adapter.methods:
        return SampleResult(error=f"this endpoint accepts {', '.join(adapter.methods)} only")
    try:
        reports = adapter.reports(request)
    except ParseError as exc:  # it names every item that could not be read
        return SampleResult(error=str(exc))
    except Exception as exc:  # a parser bug is shown, never a 500
        return SampleResult(error=f"parser error: {type(exc).__name__}: {exc}")
    prices = _prices(adapter, request, len(reports))
    return SampleResult(
        reports=[
            SampleReport(
                report=report,
                to=_masked(report.to),
                sender=_masked(report.sender),
                unmapped=report_unmapped(report),
                price=price,
                currency=currency,
            )
            for report, (price, currency) in zip(reports, prices, strict=True)
        ],
        item_errors=adapter.item_errors,
    )


def _prices(
    adapter: object, request: InboundRequest, count: int
) -> list[tuple[Decimal | None, str]]:
    none: list[tuple[Decimal | None, str]] = [(None, "")] * count
    if not isinstance(adapter, CustomProvider):
        return none
    # Items that failed to parse have no report: prices only line up when none failed.
    items = adapter.items(request)
    if len(items) != count:
        return none
    return [adapter.price(item) for item in items]


def _masked(number: str) -> str:
    """A number masked as everywhere else; a sender id that is not a number as it is."""
    if not number:
        return ""
    e164 = phone_to_e164(number)
    if e164:
        return phone_mask(e164)
    digits = sum(c.isdigit() for c in number)
    return phone_mask(number) if digits >= 7 else number
