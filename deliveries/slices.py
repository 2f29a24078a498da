"""The slice of traffic a dashboard page, an export, an API query or an alert looks at.

A `Slice` is built once (from the dashboard's form, an API query, an alert rule) and handed
to the selectors whole, so a filter added here reaches every figure; its links back to the
dashboard are written here only.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


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

    def message_query(self) -> str:
        """The slice in MessageFilter's terms, for the message list export."""
        params = {
            "created_after": self.since.isoformat(),
            "created_before": self.until.isoformat(),
            "campaign": self.campaign or "",
            "provider": self.provider or "",
            "channel": self.channel or "",
            "operator": self.operator or "",
        }
        return urlencode({k: v for k, v in params.items() if v != ""})

    def dashboard_url(self) -> str:
        """The dashboard showing this slice (a path: prefix a base URL for notifications)."""
        return f"{reverse('deliveries:dashboard')}?{self.query()}"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0).isoformat()
