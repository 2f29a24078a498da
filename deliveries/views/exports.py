"""CSV exports of the dashboard: a breakdown of its figures, and the messages of a slice.

Both stream (`deliveries.csv_export`) and are recorded in the audit trail once the last row
is out: who, which filters, how many rows, and whether the numbers were in full.
"""

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse

from audit.services import audit_record

from .. import analytics
from ..bulk import values_stream
from ..csv_export import FinishCallback, csv_response
from ..figures import Figures
from ..filters import MessageFilter
from ..masking import can_view_full_phone
from ..models import Message
from ..phones import phone_mask, phone_to_e164
from .dashboard import campaign_manager_required, slice_of

CSV_CHUNK = 2000
# Filters that take a phone number: the audit trail keeps them masked.
PHONE_FILTERS = ("to", "phone")


def _filters(query: QueryDict) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for name, values in query.lists():
        if name in PHONE_FILTERS:
            values = [phone_mask(phone_to_e164(value) or value) for value in values]
        filters[name] = values[0] if len(values) == 1 else values
    return filters


def _audited(request: HttpRequest, *, export: str, full_phone: bool = False) -> FinishCallback:
    filters = _filters(request.GET)

    def record(rows: int, complete: bool) -> None:
        details = {
            "export": export,
            "filters": filters,
            "rows": rows,
            "complete": complete,
            "full_phone": full_phone,
        }
        audit_record(
            actor=request.user,
            action="export.csv",
            target=Message,
            details=details,
            request=request,
        )

    return record


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _figure_row(label: str, key: str, f: Figures) -> list[Any]:
    return [
        key,
        label,
        f.sent,
        f.delivered,
        f.failed,
        *f.failed_by_kind.values(),
        f.pending,
        f.no_dlr,
        _rate(f.delivery_rate),
        _rate(f.dlr_coverage),
        f.latency_p50 or "",
        f.latency_p95 or "",
    ]


@campaign_manager_required
def breakdown_csv(request: HttpRequest, group_by: str) -> StreamingHttpResponse:
    if group_by not in analytics.GROUP_BY_CHOICES:
        raise Http404("No such breakdown")
    _, chosen = slice_of(request)
    stats = analytics.delivery_stats(slice=chosen, group_by=group_by)
    header = [
        group_by,
        "label",
        "sent",
        "delivered",
        "failed_total",
        *Figures().failed_by_kind,
        "pending",
        "no_dlr",
        "delivery_rate",
        "dlr_coverage",
        "latency_p50_s",
        "latency_p95_s",
    ]
    return csv_response(
        header=header,
        rows=[_figure_row(g.label, g.key, g.figures) for g in stats.groups],
        filename=f"dlrdash-{group_by}.csv",
        on_finish=_audited(request, export=f"breakdown:{group_by}"),
    )


MESSAGE_COLUMNS = [
    "id",
    "provider",
    "message_id",
    "channel",
    "to",
    "status",
    "operator",
    "error_code",
    "campaign__name",
    "client_ref",
    "submitted_at",
    "delivered_at",
    "created_at",
    "environment",
]


@campaign_manager_required
def messages_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The messages MessageFilter selects from the query string, streamed in chunks."""
    filterset = MessageFilter(request.GET, queryset=Message.objects.order_by("-created_at", "-id"))
    if not filterset.is_valid():
        return HttpResponse(
            "Bad filter: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
            status=400,
            content_type="text/plain",
        )
    return messages_csv_response(request, filterset.qs, export="messages")


def messages_csv_response(
    request: HttpRequest, messages: QuerySet[Message], *, export: str
) -> StreamingHttpResponse:
    """`messages` as a CSV download, numbers masked for who asks, recorded in the audit
    trail as `export`: the dashboard's export and the admin list's share it."""
    to_index = MESSAGE_COLUMNS.index("to")
    # The masking rule (`deliveries.masking`), decided once per export, not once per row.
    full_phone = can_view_full_phone(request.user)
    phone: Callable[[str], str] = str if full_phone else phone_mask

    def rows() -> Iterator[list[Any]]:
        values = values_stream(messages.values_list(*MESSAGE_COLUMNS), chunk=CSV_CHUNK)
        for row in values:
            out = list(row)
            out[to_index] = phone(out[to_index])
            yield out

    return csv_response(
        header=[c.replace("campaign__name", "campaign") for c in MESSAGE_COLUMNS],
        rows=rows(),
        filename="dlrdash-messages.csv",
        on_finish=_audited(request, export=export, full_phone=full_phone),
    )
