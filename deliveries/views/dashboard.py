"""Campaign managers' pages: the dashboard and campaigns (their CSV exports: `exports`).

Figures come from `deliveries.analytics` (rollups only), so every page costs the same
handful of queries however many messages there are. Numbers render as HTML; the chart is
drawn over them by Chart.js when JavaScript runs.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .. import analytics
from ..conversion_stats import conversion_stats
from ..figures import Group
from ..masking import full_phone_view_record
from ..models import Campaign
from ..reports import CHANNEL_CHOICES
from ..roles import can_view_dashboard
from ..rollup_reads import rollup_providers_operators
from ..slices import Slice

PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# Calendar days in the viewer's zone (their profile's, else the site's): see `preset_range`.
CALENDAR_PRESETS = ("today", "yesterday")
RANGE_CHOICES = [
    ("1h", "Last hour"),
    ("today", "Today"),
    ("yesterday", "Yesterday"),
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

View = Callable[..., HttpResponseBase]


def preset_range(preset: str, *, now: datetime) -> tuple[datetime, datetime]:
    """Where a preset range starts and ends: a span up to now, or a calendar day from
    midnight to midnight in the active time zone (today: midnight to now)."""
    if preset not in CALENDAR_PRESETS:
        return now - PRESETS[preset], now
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    midnight = datetime.combine(today, time(), tzinfo=zone)
    if preset == "today":
        return midnight, now
    return datetime.combine(today - timedelta(days=1), time(), tzinfo=zone), midnight


def campaign_manager_required(view: View) -> View:
    """Logged in (else the admin login), and a campaign manager or administrator (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_dashboard(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


class LocalDateTimeField(forms.DateTimeField):
    """A time typed in the viewer's zone, or one a link gives with its offset; shown back in
    the viewer's zone either way (a datetime-local input takes no offset)."""

    widget = forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M:%S")

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return self.to_python(data)
        except forms.ValidationError:
            return data


class SliceForm(forms.Form):
    """The range and filters shared by every page and export (all optional, GET)."""

    range = forms.ChoiceField(choices=RANGE_CHOICES, required=False)
    since = LocalDateTimeField(required=False)
    until = LocalDateTimeField(required=False)
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
        pairs = rollup_providers_operators(since=now - timedelta(days=90))
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
            data["since"], data["until"] = preset_range(preset, now=self.now)
        data["range"] = preset
        return data


def slice_of(
    request: HttpRequest, *, default_range: str = "24h", campaign: int | None = None
) -> tuple[SliceForm, Slice]:
    """The slice the request asks for; on bad input, the form's errors and the default range."""
    now = timezone.now()
    form = SliceForm(request.GET, default_range=default_range, now=now)
    if form.is_valid():
        data = form.cleaned_data
        chosen = Slice(
            preset=data["range"],
            since=data["since"],
            until=data["until"],
            campaign=campaign or data["campaign"],
            provider=data["provider"] or None,
            channel=data["channel"] or None,
            operator=data["operator"] or None,
        )
    else:
        since, until = preset_range(default_range, now=now)
        chosen = Slice(preset=default_range, since=since, until=until, campaign=campaign)
    return form, chosen


def _overview(chosen: Slice) -> dict[str, Any]:
    """Everything the dashboard and a campaign page show, for one slice."""
    per = "hour" if chosen.until - chosen.since <= HOURLY_UP_TO else "day"
    # Two reads of the slice's rollup cells: the series, and every other figure at once.
    series = analytics.delivery_series(slice=chosen, per=per)
    shown = [(n, label) for n, label in BREAKDOWNS if not (n == "campaign" and chosen.campaign)]
    totals, groups = analytics.delivery_overview(
        slice=chosen, group_bys=[*(n for n, _ in shown), "error_code"]
    )
    breakdowns = [(name, label, groups[name]) for name, label in shown]
    errors = [_error_row(g, failed=totals.failed) for g in groups["error_code"][:TOP_ERRORS]]
    chart = {
        "labels": [g.label for g in series],
        "delivered": [g.figures.delivered for g in series],
        "failed": [g.figures.failed for g in series],
        "pending": [g.figures.pending for g in series],
        # Where a click on each bar leads: its messages.
        "links": {
            kind: [chosen.messages_url(by=per, key=g.key, status_group=kind) for g in series]
            for kind in ("delivered", "failed", "pending")
        },
    }
    conversion_names = [*(n for n, _ in shown), per]
    conversion = conversion_stats(slice=chosen, group_bys=conversion_names)
    return {
        "slice": chosen,
        "totals": totals,
        # templates/conversions/dashboard_panel.html: traffic with conversion feedback only.
        "conversion": conversion,
        "conversion_breakdowns": [
            (name, label, conversion.groups[name]) for name, label in [*shown, (per, per.title())]
        ],
        "series": series,
        "per": per,
        "chart": chart,
        "breakdowns": breakdowns,
        "errors": errors,
        "stuck": analytics.messages_stuck(slice=chosen),
        "stuck_limit": analytics.STUCK_LIST_LIMIT,
        "query": chosen.query(),
    }


@dataclass(frozen=True)
class ErrorRow:
    provider: str
    code: str
    meaning: str | None  # None: not in the error-code catalog (yet)
    messages: int
    share_of_failed: float | None

    @property
    def key(self) -> str:
        """As `analytics` keys the group, for its drill-down."""
        return f"{self.provider}:{self.code}"


def _error_row(group: Group, *, failed: int) -> ErrorRow:
    provider, _, code = group.key.partition(":")
    return ErrorRow(
        provider=provider,
        code=code,
        meaning=group.label if group.label != code else None,
        messages=group.figures.sent,
        share_of_failed=group.figures.sent / failed if failed else None,
    )


@campaign_manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request)
    context = {"form": form, **_overview(chosen)}
    # The list of messages past their validity shows each one's number.
    full_phone_view_record(request=request, surface="dashboard", count=len(context["stuck"]))
    return render(request, "deliveries/dashboard.html", context)


@campaign_manager_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    form, chosen = slice_of(request, default_range="7d")
    rows = analytics.campaigns_overview(since=chosen.since, until=chosen.until)
    context = {
        "form": form,
        # The list's figures take the range only; so do its links to their messages.
        "slice": replace(chosen, provider=None, channel=None, operator=None),
        "rows": [(row, _sparkline(row.trend)) for row in rows],
    }
    return render(request, "deliveries/campaign_list.html", context)


@campaign_manager_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form, chosen = slice_of(request, default_range="7d", campaign=campaign.pk)
    context = {"form": form, "campaign": campaign, **_overview(chosen)}
    full_phone_view_record(request=request, surface="campaign", count=len(context["stuck"]))
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
