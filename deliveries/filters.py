"""FilterSets shared by the API and the HTML pages."""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from . import status as st
from .models import Campaign, Message
from .phones import phone_to_e164
from .reports import CHANNEL_CHOICES

# Ids beyond a 64-bit integer would overflow the database driver (a 500 on SQLite).
MAX_ID = 2**63 - 1


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
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")
    client_ref = django_filters.CharFilter()
    to = django_filters.CharFilter(
        method="filter_to",
        label="Phone number, any format",
        help_text='Any format: "+91 98765 43210", "919876543210", "098765 43210".',
    )
    phone = django_filters.CharFilter(method="filter_to", help_text="Same as `to`.")
    submitted_after = DateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = DateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    delivered_after = DateTimeFilter(field_name="delivered_at", lookup_expr="gte")
    delivered_before = DateTimeFilter(field_name="delivered_at", lookup_expr="lt")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
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
