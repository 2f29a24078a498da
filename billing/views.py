"""The costs page, its CSV exports, and the reconciliation report with its lists.

Costs are for campaign managers and administrators (`deliveries.roles.can_view_costs`);
figures come from `billing.selectors` (spend rollup only) and `billing.reconciliation`.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from deliveries.csv_export import csv_response
from deliveries.roles import can_view_costs
from deliveries.views.dashboard import slice_of

from . import reconciliation, selectors

View = Callable[..., HttpResponseBase]
BREAKDOWN_LABELS = [
    ("day", "Day"),
    ("campaign", "Campaign"),
    ("provider", "Provider"),
    ("operator", "Operator"),
    ("channel", "Channel"),
]
SPEND_COLUMNS = [
    "currency",
    "amount",
    "messages",
    "delivered",
    "delivered_cost_per_message",
    "undelivered_amount",
    "failed_amount",
    "no_dlr_amount",
    "average_segments",
    "unicode_share",
]


def cost_viewer_required(view: View) -> View:
    """Logged in (else the admin login), and allowed to see costs (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_costs(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@cost_viewer_required
def costs(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request, default_range="30d")
    shown = [
        (n, label) for n, label in BREAKDOWN_LABELS if not (n == "campaign" and chosen.campaign)
    ]
    totals, groups = selectors.spend_overview(slice=chosen, bys=[n for n, _ in shown])
    context = {
        "form": form,
        "slice": chosen,
        "totals": totals,
        "breakdowns": [(name, label, groups[name]) for name, label in shown],
        "query": chosen.query(),
        "months": reconciliation.months_billed(),
        "no_range_note": False,
    }
    return render(request, "billing/costs.html", context)


@cost_viewer_required
def costs_csv(request: HttpRequest, by: str) -> HttpResponseBase:
    if by not in selectors.BREAKDOWNS:
        raise Http404("No such breakdown.")
    _, chosen = slice_of(request, default_range="30d")
    groups = selectors.spend_breakdown(slice=chosen, by=by)

    def rows() -> Iterator[list[Any]]:
        for group in groups:
            for spend in group.by_currency:
                yield [
                    group.key,
                    group.label,
                    *(_cell(getattr(spend, c)) for c in SPEND_COLUMNS),
                    group.unpriced,
                ]
            if not group.by_currency:
                yield [group.key, group.label, *[""] * len(SPEND_COLUMNS), group.unpriced]

    header = [by, "label", *SPEND_COLUMNS, "messages_cost_unknown"]
    return csv_response(header=header, rows=rows(), filename=f"costs-by-{by}.csv")


@cost_viewer_required
def reconciliation_report(request: HttpRequest, provider: str, month: str) -> HttpResponse:
    start = _month(month)
    report = reconciliation.reconciliation_report(provider=provider, month=start)
    context = {
        "report": report,
        "provider": provider,
        "month": month,
        "lists": reconciliation.LISTS,
    }
    return render(request, "billing/reconciliation.html", context)


@cost_viewer_required
def reconciliation_csv(
    request: HttpRequest, provider: str, month: str, name: str
) -> HttpResponseBase:
    if name not in reconciliation.LISTS:
        raise Http404("No such list.")
    rows = reconciliation.reconciliation_rows(provider=provider, month=_month(month), name=name)
    return csv_response(
        header=reconciliation.ROW_COLUMNS,
        rows=(r.values() for r in rows),
        filename=f"{provider}-{month}-{name}.csv",
    )


def _month(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise Http404("A month looks like 2026-11.") from None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return value
