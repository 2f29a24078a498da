"""The provider comparison page: providers side by side on one slice, with latency SLOs.

Figures come from `deliveries.comparison` (rollups only). The slice form is the
dashboard's (range presets, campaign, channel, operator); the provider filter is left out
because every provider is shown.
"""

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import comparison, trust
from ..conversion_stats import conversion_stats
from .dashboard import campaign_manager_required, slice_of


def _chart(result: comparison.Comparison) -> dict[str, Any]:
    """Delivery rate (%) per provider per period; null where a provider sent nothing."""
    return {
        "labels": [p.label for p in result.periods],
        "providers": [
            {
                "name": column.provider,
                "rates": [
                    None if f.delivery_rate is None else round(100 * f.delivery_rate, 1)
                    for f in column.series
                ],
            }
            for column in result.providers
        ],
    }


def _chart_rows(chart: dict[str, Any]) -> list[tuple[str, list[float | None]]]:
    """The chart as a table: one row per period, one rate per provider."""
    return [
        (label, [p["rates"][i] for p in chart["providers"]])
        for i, label in enumerate(chart["labels"])
    ]


@campaign_manager_required
def compare(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request, default_range="24h")
    result = comparison.providers_compare(slice=chosen)
    chart = _chart(result)
    operators = sorted({row.operator for row in result.slo_by_operator})
    slo_grid = {(row.provider, row.operator): row.slo for row in result.slo_by_operator}
    context = {
        "form": form,
        "slice": chosen,
        "result": result,
        "columns": [
            (column, replace(chosen, provider=column.provider).dashboard_url())
            for column in result.providers
        ],
        "chart": chart,
        "chart_rows": _chart_rows(chart),
        "operators": operators,
        "slo_rows": [
            (column.provider, [slo_grid.get((column.provider, o)) for o in operators])
            for column in result.providers
        ],
        "latency_slo": sorted(settings.LATENCY_SLO.items()),
        # Conversion beside delivery, and each route's DLR trust (templates/conversions/).
        "conversion": conversion_stats(
            slice=replace(chosen, provider=None), group_bys=["provider"]
        ),
        "trust": trust.routes_trust(slice=chosen),
        "trust_min": trust.MIN_DELIVERED,
        "trust_margin": trust.MARGIN,
    }
    return render(request, "deliveries/compare.html", context)
