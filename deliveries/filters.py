"""FilterSets shared by the API and the HTML pages."""

import django_filters
from django.db.models import QuerySet

from . import status as st
from .models import Message
from .phones import phone_to_e164
from .reports import CHANNEL_CHOICES


class MessageFilter(django_filters.FilterSet):
    message_id = django_filters.CharFilter()
    provider = django_filters.CharFilter()
    status = django_filters.MultipleChoiceFilter(choices=st.CHOICES)
    channel = django_filters.MultipleChoiceFilter(choices=CHANNEL_CHOICES)
    operator = django_filters.CharFilter(lookup_expr="iexact")
    campaign = django_filters.NumberFilter(field_name="campaign_id")
    client_ref = django_filters.CharFilter()
    to = django_filters.CharFilter(method="filter_to", label="Phone number, any format")
    submitted_after = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Message
        fields: list[str] = []

    def filter_to(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        e164 = phone_to_e164(value)
        # A string that is no phone number matches nothing rather than everything.
        return queryset.filter(to=e164) if e164 else queryset.none()
