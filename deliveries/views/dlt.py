"""The DLT failure drill-down page (India): which registration to fix.

Figures come from `deliveries.dlt.dlt_failures` (failed messages in the window only).
"""

from dataclasses import replace
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import dlt
from .dashboard import _sparkline as sparkline
from .dashboard import campaign_manager_required, slice_of


@campaign_manager_required
def dlt_page(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request, default_range="7d")
    since = chosen.since
    if chosen.until - since > dlt.MAX_RANGE:
        # Longer presets (or custom ranges) are cut to the drill-down's limit, and said so.
        since = chosen.until - dlt.MAX_RANGE + timedelta(seconds=1)
    drill = dlt.dlt_failures(slice=replace(chosen, since=since))
    context = {
        "form": form,
        "slice": chosen,
        "drill": drill,
        "cut": since != chosen.since,
        "causes": [(row, sparkline(row.trend)) for row in drill.by_cause],
        "codes": [(code, sparkline(code.trend)) for code in drill.by_code],
        "groupings": [
            ("By template id", [(row, sparkline(row.trend)) for row in drill.by_template]),
            ("By sender id", [(row, sparkline(row.trend)) for row in drill.by_sender]),
        ],
    }
    return render(request, "deliveries/dlt.html", context)
