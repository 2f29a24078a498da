"""Campaign managers' pages: the dashboard, campaigns, and their CSV exports.

Figures come from `deliveries.analytics` (rollups only), so every page costs the same
handful of queries however many messages there are. Numbers render as HTML; the chart is
drawn over them by Chart.js when JavaScript runs.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .. import analytics
from ..filters import MessageFilter
from ..masking import can_view_full_phone
from ..models import Campaign, Message
from ..phones import phone_mask
from ..reports import CHANNEL_CHOICES

ROLES = ("Campaign manager", "Administrator")
PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
RANGE_CHOICES = [
    ("1h", "Last hour"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("custom", "Custom"),
]
MAX_RANGE = timedelta(days=400)
# Ranges up to this long are charted per hour, longer ones per day.
HOURLY_UP_TO = timedelta(hours=48)
BREAKDOWNS = [
    ("operator", "Operator"),
    ("channel", "Channel"),
    ("provider", "Provider"),
    ("campaign", "Campaign"),
]
TOP_ERRORS = 10
CSV_CHUNK = 2000

View = Callable[..., HttpResponseBase]


def campaign_manager_required(view: View) -> View:
    """Logged in (else the admin login), and a campaign manager or administrator (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.is_superuser or user.groups.filter(name__in=ROLES).exists()):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


class SliceForm(forms.Form):
    """The range and filters shared by every page and export (all optional, GET)."""

    range = forms.ChoiceField(choices=RANGE_CHOICES, required=False)
    since = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput({"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput({"type": "datetime-local"})
    )
    campaign = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    provider = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(choices=[("", "All channels"), *CHANNEL_CHOICES], required=False)
    operator = forms.ChoiceField(required=False)

    def __init__(self, data: Any, *, default_range: str = "24h", now: datetime) -> None:
        super().__init__(data)
        self.default_range = default_range
        self.now = now
        cast(forms.ChoiceField, self.fields["campaign"]).choices = [("", "All campaigns")] + [
            (c.pk, c.name) for c in Campaign.objects.order_by("name")
        ]
        # Values seen in the last 90 days of rollups are offered.
        pairs = analytics.rollup_providers_operators(since=now - timedelta(days=90))
        providers = sorted({p for p, _ in pairs})
        operators = sorted({o for _, o in pairs if o})
        choices = [("", "All providers")] + [(p, p) for p in providers]
        cast(forms.ChoiceField, self.fields["provider"]).choices = choices
        choices = [("", "All operators")] + [(o, o) for o in operators]
        cast(forms.ChoiceField, self.fields["operator"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preset = data.get("range") or self.default_range
        if preset == "custom":
            since, until = data.get("since"), data.get("until") or self.now
            if since is None:
                self.add_error("since", "Choose where the custom range starts.")
            elif since >= until:
                self.add_error("since", "The range must start before it ends.")
            elif until - since > MAX_RANGE:
                self.add_error("since", "The range is limited to 400 days.")
            else:
                data["since"], data["until"] = since, until
        else:
            data["since"], data["until"] = self.now - PRESETS[preset], self.now
        data["range"] = preset
        return data


@dataclass(frozen=True)
class Slice:
    since: datetime
    until: datetime
    preset: str
    campaign: int | None = None
    provider: str | None = None
    channel: str | None = None
    operator: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "campaign": self.campaign,
            "provider": self.provider,
            "channel": self.channel,
            "operator": self.operator,
        }


def slice_of(
    request: HttpRequest, *, default_range: str = "24h", campaign: int | None = None
) -> tuple[SliceForm, Slice]:
    """The slice the request asks for; on bad input, the form's errors and the default range."""
    now = timezone.now()
    form = SliceForm(request.GET, default_range=default_range, now=now)
    if form.is_valid():
        data = form.cleaned_data
        chosen = Slice(
            since=data["since"],
            until=data["until"],
            preset=data["range"],
            campaign=campaign or data["campaign"],
            provider=data["provider"] or None,
            channel=data["channel"] or None,
            operator=data["operator"] or None,
        )
    else:
        chosen = Slice(now - PRESETS[default_range], now, default_range, campaign=campaign)
    return form, chosen


def _overview(chosen: Slice) -> dict[str, Any]:
    """Everything the dashboard and a campaign page show, for one slice."""
    filters = chosen.filters()
    per = "hour" if chosen.until - chosen.since <= HOURLY_UP_TO else "day"
    # Two reads of the slice's rollup cells: the series, and every other figure at once.
    series = analytics.delivery_series(**filters, per=per)
    shown = [(n, label) for n, label in BREAKDOWNS if not (n == "campaign" and chosen.campaign)]
    totals, groups = analytics.delivery_overview(
        **filters, group_bys=[*(n for n, _ in shown), "error_code"]
    )
    breakdowns = [(name, label, groups[name]) for name, label in shown]
    errors = [_error_row(g, failed=totals.failed) for g in groups["error_code"][:TOP_ERRORS]]
    chart = {
        "labels": [g.label for g in series],
        "delivered": [g.figures.delivered for g in series],
        "failed": [g.figures.failed for g in series],
        "pending": [g.figures.pending for g in series],
    }
    return {
        "slice": chosen,
        "totals": totals,
        "series": series,
        "per": per,
        "chart": chart,
        "breakdowns": breakdowns,
        "errors": errors,
        "stuck": analytics.messages_stuck(**filters),
        "stuck_limit": analytics.STUCK_LIST_LIMIT,
        "query": _query(chosen),
        "message_query": _message_query(chosen),
    }


@dataclass(frozen=True)
class ErrorRow:
    provider: str
    code: str
    meaning: str | None  # None: not in the error-code catalog (yet)
    messages: int
    share_of_failed: float | None


def _error_row(group: analytics.Group, *, failed: int) -> ErrorRow:
    provider, _, code = group.key.partition(":")
    return ErrorRow(
        provider=provider,
        code=code,
        meaning=group.label if group.label != code else None,
        messages=group.figures.sent,
        share_of_failed=group.figures.sent / failed if failed else None,
    )


def _query(chosen: Slice) -> str:
    """The slice as a query string, for export links (always an explicit custom range)."""
    params = {
        "range": "custom",
        # The form reads naive times in the current time zone.
        "since": timezone.localtime(chosen.since).strftime("%Y-%m-%dT%H:%M:%S"),
        "until": timezone.localtime(chosen.until).strftime("%Y-%m-%dT%H:%M:%S"),
        "campaign": chosen.campaign or "",
        "provider": chosen.provider or "",
        "channel": chosen.channel or "",
        "operator": chosen.operator or "",
    }
    return urlencode({k: v for k, v in params.items() if v != ""})


def _message_query(chosen: Slice) -> str:
    """The slice in MessageFilter's terms, for the message list export."""
    params = {
        "created_after": chosen.since.isoformat(),
        "created_before": chosen.until.isoformat(),
        "campaign": chosen.campaign or "",
        "provider": chosen.provider or "",
        "channel": chosen.channel or "",
        "operator": chosen.operator or "",
    }
    return urlencode({k: v for k, v in params.items() if v != ""})


@campaign_manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request)
    context = {"form": form, **_overview(chosen)}
    return render(request, "deliveries/dashboard.html", context)


@campaign_manager_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request, default_range="7d")
    rows = analytics.campaigns_overview(since=chosen.since, until=chosen.until)
    context = {
        "form": form,
        "slice": chosen,
        "rows": [(row, _sparkline(row.trend)) for row in rows],
    }
    return render(request, "deliveries/campaign_list.html", context)


@campaign_manager_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form, chosen = slice_of(request, default_range="7d", campaign=campaign.pk)
    context = {"form": form, "campaign": campaign, **_overview(chosen)}
    return render(request, "deliveries/campaign_detail.html", context)


def _sparkline(values: list[int], *, width: int = 120, height: int = 24) -> str:
    """SVG polyline points for a small trend line (drawn server-side: no JavaScript)."""
    if len(values) < 2:
        values = [*values, *values] or [0, 0]
    top = max(values) or 1
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )


# --- CSV exports ------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Iterable[Iterable[Any]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _figure_row(label: str, key: str, f: analytics.Figures) -> list[Any]:
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
    stats = analytics.delivery_stats(**chosen.filters(), group_by=group_by)
    header = [
        group_by,
        "label",
        "sent",
        "delivered",
        "failed_total",
        *analytics.Figures().failed_by_kind,
        "pending",
        "no_dlr",
        "delivery_rate",
        "dlr_coverage",
        "latency_p50_s",
        "latency_p95_s",
    ]
    rows = [header, *(_figure_row(g.label, g.key, g.figures) for g in stats.groups)]
    return _csv_response(rows, f"dlrdash-{group_by}.csv")


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
]


def _phone_formatter(user: Any) -> Callable[[str], str]:
    """The masking rule (`deliveries.masking`), decided once per export, not once per row."""
    return str if can_view_full_phone(user) else phone_mask


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
    to_index = MESSAGE_COLUMNS.index("to")
    phone = _phone_formatter(request.user)

    def rows() -> Iterator[list[Any]]:
        yield [c.replace("campaign__name", "campaign") for c in MESSAGE_COLUMNS]
        values = filterset.qs.values_list(*MESSAGE_COLUMNS).iterator(chunk_size=CSV_CHUNK)
        for row in values:
            out = list(row)
            out[to_index] = phone(out[to_index])
            yield out

    return _csv_response(rows(), "dlrdash-messages.csv")
