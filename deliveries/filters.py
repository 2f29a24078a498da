"""FilterSets shared by the API and the HTML pages.

`MessageFilter` is also the drill-down's language: every figure on the pages links to the
admin's message list with these parameters (`Slice.messages_url`), the admin applies them
with this class (`deliveries.admin.MessageFilterParams`), and the CSV export too, so a
figure, its list and its export select the same messages.
"""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from . import status as st
from .models import Campaign, Message
from .phones import phone_to_e164
from .reports import CHANNEL_CHOICES, ENVIRONMENT_CHOICES
from .slices import MESSAGE_TIME

# Ids beyond a 64-bit integer would overflow the database driver (a 500 on SQLite).
MAX_ID = 2**63 - 1


# The dashboard's three figures, by status kind (`deliveries.status`).
STATUS_KINDS: dict[str, frozenset[str]] = {
    "delivered": st.DELIVERED_STATUSES,
    "failed": st.FAILED_STATUSES,
    "pending": st.PENDING_STATUSES,
}

# django-filter's BooleanFilter reads "maybe" as "no filter"; a client deserves a 400.
BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class IdFilter(django_filters.NumberFilter):
    """A positive integer id; anything else is a 400, never a database error."""

    # The stubs give NumberFilter a DecimalField only; django-filter takes any number field.
    field_class = forms.IntegerField  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        try:
            # "9999-12-31T23:59:59-14:00" parses, then overflows when the database
            # driver converts it to UTC.
            return result.astimezone(UTC) if result is not None else None
        except OverflowError:
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time; one out of range is a 400, not a database error."""

    field_class = _BoundedIsoDateTimeField


class MessageFilter(django_filters.FilterSet):
    message_id = django_filters.CharFilter(help_text="The provider's message id, exactly.")
    provider = django_filters.CharFilter()
    status = django_filters.MultipleChoiceFilter(
        choices=st.CHOICES, help_text="Repeat to match any of several statuses."
    )
    channel = django_filters.MultipleChoiceFilter(choices=CHANNEL_CHOICES)
    operator = django_filters.CharFilter(lookup_expr="iexact")
    campaign = IdFilter(
        method="filter_campaign",
        min_value=0,
        help_text="Campaign id; 0 for messages in no campaign.",
    )
    client_ref = django_filters.CharFilter()
    to = django_filters.CharFilter(
        method="filter_to",
        label="Phone number, any format",
        help_text='Any format: "+91 98765 43210", "919876543210", "098765 43210".',
    )
    phone = django_filters.CharFilter(method="filter_to", help_text="Same as `to`.")
    # The range every page counts by (`deliveries.slices`): submit time, else stored time.
    submitted_after = DateTimeFilter(
        method="filter_submitted",
        help_text="Submitted at or after (the time it was stored if no report gave a "
        "submit time): the range the dashboard counts by.",
    )
    submitted_before = DateTimeFilter(
        method="filter_submitted", help_text="Submitted before (as `submitted_after`)."
    )
    delivered_after = DateTimeFilter(field_name="delivered_at", lookup_expr="gte")
    delivered_before = DateTimeFilter(field_name="delivered_at", lookup_expr="lt")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    status_group = django_filters.ChoiceFilter(
        choices=[(kind, kind) for kind in STATUS_KINDS],
        method="filter_status_group",
        help_text="delivered, failed or pending: the dashboard's three figures.",
    )
    error_code = django_filters.CharFilter(help_text="The error code, exactly.")
    environment = django_filters.ChoiceFilter(
        choices=ENVIRONMENT_CHOICES,
        help_text="live or sandbox (the endpoint's); both when absent. Figures count live.",
    )
    has_operator = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        method="filter_has_operator",
        help_text='true: an operator was reported; false: none (the "(unknown)" row).',
    )
    has_error = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        method="filter_has_error",
        help_text="true: an error code was reported; false: none.",
    )

    class Meta:
        model = Message
        fields: list[str] = []

    def filter_to(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        e164 = phone_to_e164(value)
        # A string that is no phone number matches nothing rather than everything.
        return queryset.filter(to=e164) if e164 else queryset.none()

    def filter_campaign(
        self, queryset: QuerySet[Message], name: str, value: int
    ) -> QuerySet[Message]:
        # 0 is the rollups' "no campaign", so the "(no campaign)" row has a list too.
        return queryset.filter(campaign_id=value) if value else queryset.filter(campaign=None)

    def filter_submitted(
        self, queryset: QuerySet[Message], name: str, value: datetime
    ) -> QuerySet[Message]:
        lookup = "gte" if name == "submitted_after" else "lt"
        return queryset.alias(message_time=MESSAGE_TIME).filter(
            **{f"message_time__{lookup}": value}
        )

    def filter_status_group(
        self, queryset: QuerySet[Message], name: str, value: str
    ) -> QuerySet[Message]:
        return queryset.filter(status__in=sorted(STATUS_KINDS[value]))

    def filter_has_operator(
        self, queryset: QuerySet[Message], name: str, value: str
    ) -> QuerySet[Message]:
        if value == "true":
            return queryset.exclude(operator="")
        return queryset.filter(operator="")

    def filter_has_error(
        self, queryset: QuerySet[Message], name: str, value: str
    ) -> QuerySet[Message]:
        if value == "true":
            return queryset.exclude(error_code="")
        return queryset.filter(error_code="")


class CampaignFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    ref_prefix = django_filters.CharFilter()

    class Meta:
        model = Campaign
        fields: list[str] = []
