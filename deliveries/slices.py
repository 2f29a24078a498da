"""The slice of traffic a dashboard page, an export, an API query or an alert looks at.

A `Slice` is built once (from the dashboard's form, an API query, an alert rule) and handed
to the selectors whole, so a filter added here reaches every figure; its links back to the
dashboard, and down to the messages behind a figure (`Slice.messages_url`), are written
here only.

The range. A message is in a range by the time it was submitted to the provider, or, when
no report gave one, the time dlrdash stored it (`MESSAGE_TIME`): the rollups file every
message under that hour, the pages count by it, and so do the exports, the admin's
drill-down and the API's `submitted_after` / `submitted_before`. Submit time is what a
campaign manager means by "sent yesterday"; falling back to the stored time keeps messages
whose provider reports no submit time in some range rather than in none. Pages read whole
hours, so a slice's range is rounded out to them (`Slice.bounds`) before it reaches either
the rollups or the messages.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

# When a message counts as sent, for every range (see the module docstring); the
# `message_time` index serves it.
MESSAGE_TIME = Coalesce("submitted_at", "created_at")
# Figures whose messages a drill-down narrows to, beyond the slice's own filters:
# MessageFilter's names.
DRILLDOWN_EXTRAS = ("status_group", "status", "error_code", "environment", "has_operator")


@dataclass(frozen=True)
class Slice:
    """Messages submitted in [since, until) of one campaign, provider, channel and operator
    (`None`: all of them). `preset` is the dashboard range it was chosen with, if any."""

    since: datetime
    until: datetime
    campaign: int | None = None
    provider: str | None = None
    channel: str | None = None
    operator: str | None = None
    preset: str = "custom"

    @classmethod
    def from_query(cls, data: Mapping[str, Any], **fixed: Any) -> "Slice":
        """From an API query's validated data (absent or empty filters mean all)."""
        values = {**data, **fixed}
        return cls(
            since=values["since"],
            until=values["until"],
            campaign=values.get("campaign") or None,
            provider=values.get("provider") or None,
            channel=values.get("channel") or None,
            operator=values.get("operator") or None,
        )

    def segment(self, *, channel: bool = True) -> Q:
        """The filters but not the range, for `Message` and `DeliveryRollup` alike (both name
        the columns the same way); `channel=False` leaves the channel to the caller."""
        q = Q()
        if self.campaign is not None:
            q &= Q(campaign_id=self.campaign)
        if self.provider:
            q &= Q(provider=self.provider)
        if channel and self.channel:
            q &= Q(channel=self.channel)
        if self.operator:
            # Operators arrive in any case ("Jio", "JIO"); MessageFilter matches them the same way.
            q &= Q(operator__iexact=self.operator)
        return q

    def query(self) -> str:
        """The slice in the dashboard form's parameters, always as an explicit custom range:
        the dashboard's, its exports' and its campaign pages' query string."""
        params = {
            "range": "custom",
            # With their offset: a link made in one zone (an alert's email) and opened by a
            # person who reads another names the same instants.
            "since": _local(self.since),
            "until": _local(self.until),
            "campaign": self.campaign or "",
            "provider": self.provider or "",
            "channel": self.channel or "",
            "operator": self.operator or "",
        }
        return urlencode({k: v for k, v in params.items() if v != ""})

    def bounds(self) -> tuple[datetime, datetime]:
        """The range as the pages count it: out to whole hours, the rollups' cells."""
        return _hour(self.since), _hour_up(self.until)

    def message_query(self, **extra: str) -> str:
        """The slice in MessageFilter's terms (the API's, the message export's and the
        admin drill-down's), narrowed by `extra` (`DRILLDOWN_EXTRAS`): the same messages
        the rollups count for it. Live traffic only, as the figures are."""
        unknown = set(extra) - set(DRILLDOWN_EXTRAS)
        if unknown:
            raise ValueError(f"not a drill-down filter: {', '.join(sorted(unknown))}")
        start, end = self.bounds()
        params = {
            "submitted_after": start.isoformat(),
            "submitted_before": end.isoformat(),
            # Campaign 0 is "no campaign", as in the rollups.
            "campaign": "" if self.campaign is None else self.campaign,
            "provider": self.provider or "",
            "channel": self.channel or "",
            "operator": self.operator or "",
            "environment": "live",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v != ""})

    def messages_url(self, *, by: str = "", key: str = "", **extra: str) -> str:
        """The admin's list of the messages behind a figure of this slice, which exports
        them to CSV: every number on the pages links here, through this method only.

        `by` and `key` name the group the figure is in, as `deliveries.analytics` keys it
        (a breakdown: "operator" and "JIO", "error_code" and "smstake:DND", "hour" and an
        ISO hour); `extra` narrows further (`DRILLDOWN_EXTRAS`: status_group="failed", …).
        """
        chosen = self
        if by == "error_code":
            provider, _, code = key.partition(":")
            chosen, extra = replace(self, provider=provider), {**extra, "error_code": code}
        elif by == "campaign":
            chosen = replace(self, campaign=int(key))
        elif by == "operator" and not key:
            # The "(unknown)" row: messages no report named an operator for.
            chosen, extra = replace(self, operator=None), {**extra, "has_operator": "false"}
        elif by == "operator":
            chosen = replace(self, operator=key)
        elif by == "channel":
            chosen = replace(self, channel=key)
        elif by == "provider":
            chosen = replace(self, provider=key)
        elif by in ("hour", "day"):
            chosen = self._period(by, key)
        elif by:
            raise ValueError(f"no drill-down by {by}")
        query = chosen.message_query(**extra)
        return f"{reverse('admin:deliveries_message_changelist')}?{query}"

    def _period(self, per: str, key: str) -> "Slice":
        """The slice narrowed to one period of its series (`analytics.delivery_series`):
        an hour's cells, or those of the hours starting on a local day."""
        if per == "hour":
            start = datetime.fromisoformat(key)
            end = start + timedelta(hours=1)
        else:
            day = date.fromisoformat(key)
            midnight = timezone.make_aware(datetime.combine(day, time()))
            # A day's cells are the hours that start on it (half-hour zones split one).
            start, end = _hour_up(midnight), _hour_up(midnight + timedelta(days=1))
        first, last = self.bounds()
        return replace(self, since=max(start, first), until=min(end, last), preset="custom")

    def dashboard_url(self) -> str:
        """The dashboard showing this slice (a path: prefix a base URL for notifications)."""
        return f"{reverse('deliveries:dashboard')}?{self.query()}"


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_up(moment: datetime) -> datetime:
    start = _hour(moment)
    return start if start == moment else start + timedelta(hours=1)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0).isoformat()
