"""The admin message list's filters: the sidebar's, and the drill-down's.

Every figure on the pages links to this list with `MessageFilter`'s parameters
(`Slice.messages_url`); `MessageFilterParams` applies them with that very class, so the
list shows the messages, and the count, the figure was summed from. The sidebar's provider
and operator filters share their parameter names, and their meaning, with it.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from . import status as st
from .filters import MessageFilter
from .models import Message


class NoFinalReportFilter(admin.SimpleListFilter):
    title = "no final report after"
    parameter_name = "no_final_after"
    HOURS = {"1": 1, "6": 6, "24": 24}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, f"{hours} h") for key, hours in self.HOURS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        hours = self.HOURS.get(self.value() or "")
        if hours is None:
            return queryset
        cutoff = timezone.now() - timedelta(hours=hours)
        # Spelled as the `message_pending` index's predicate and expression (not final is
        # pending; submitted, else created), so the pending messages' small index serves it.
        at = Coalesce("submitted_at", "created_at")
        return queryset.alias(pending_since=at).filter(
            status__in=sorted(st.PENDING_STATUSES), pending_since__lt=cutoff
        )


class CreatedFilter(admin.SimpleListFilter):
    """Recent periods, in place of the stock date drill-down, whose choices are a SELECT
    DISTINCT over every message of the year or month shown."""

    title = "created"
    parameter_name = "created"
    PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1h", "last hour"), ("24h", "last 24 hours"), ("7d", "last 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        period = self.PERIODS.get(self.value() or "")
        if period is None:
            return queryset
        return queryset.filter(created_at__gte=timezone.now() - period)


class RecentValuesFilter(admin.SimpleListFilter):
    """Choices from the newest messages only.

    The stock filter runs SELECT DISTINCT over the whole table on every page view; the
    newest few thousand rows (read through the created_at index) name every operator and
    provider that matters today, at a bounded cost.
    """

    SAMPLE = 5000
    field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        recent = Message.objects.order_by("-created_at").values_list(self.field, flat=True)
        return [(value, value) for value in sorted(set(recent[: self.SAMPLE]) - {""})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        value = (self.value() or "").replace("\x00", "")  # PostgreSQL refuses NUL in text
        # As the API and the drill-down read it (operators in any case).
        return MessageFilter({self.field: value}, queryset=queryset).qs if value else queryset


class OperatorFilter(RecentValuesFilter):
    title = "operator"
    parameter_name = field = "operator"


class ProviderFilter(RecentValuesFilter):
    title = "provider"
    parameter_name = field = "provider"


class HasErrorCodeFilter(admin.SimpleListFilter):
    title = "error code"
    parameter_name = "has_error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "has an error code"), ("no", "no error code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        # "true" / "false" are the API's spelling of the same filter.
        if self.value() in ("yes", "true"):
            return queryset.exclude(error_code="")
        if self.value() in ("no", "false"):
            return queryset.filter(error_code="")
        return queryset


# The sidebar's filters that share a name with MessageFilter's.
SIDEBAR_NAMES = ("provider", "operator", "has_error")


class MessageFilterParams(admin.ListFilter):
    """The drill-down's parameters (`MessageFilter`'s names), applied by `MessageFilter`.

    Listed in the sidebar while any is set, each with a link that drops it. A value the
    API would answer 400 to sends the admin to its "invalid filter" page.
    """

    title = "drill-down"
    # Provider and operator have sidebar filters of their own, with the same meaning.
    NAMES = tuple(name for name in MessageFilter.base_filters if name not in SIDEBAR_NAMES)

    def __init__(
        self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any
    ) -> None:
        super().__init__(request, params, model, model_admin)
        self.data = QueryDict(mutable=True)
        for name in self.NAMES:
            if name in params:
                values = params.pop(name)
                self.data.setlist(name, values if isinstance(values, list) else [values])
                self.used_parameters[name] = values
        self.filterset = MessageFilter(self.data, queryset=Message.objects.none())
        if not self.filterset.is_valid():
            raise IncorrectLookupParameters(self.filterset.errors)

    def has_output(self) -> bool:
        return bool(self.data)

    def expected_parameters(self) -> list[str | None]:
        return list(self.NAMES)

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        cleaned = self.filterset.form.cleaned_data
        for name in self.data:
            values = ", ".join(self.data.getlist(name))
            if isinstance(cleaned.get(name), datetime):
                # Read as the pages show their range, not as the link spells it.
                values = f"{timezone.localtime(cleaned[name]):%d %b %Y %H:%M %Z}"
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(remove=[name]),
                "display": f"{name.replace('_', ' ')}: {values} ✕",
            }
        clear = changelist.get_query_string(remove=list(self.data))
        yield {"selected": False, "query_string": clear, "display": "Clear all"}

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if not self.data:
            return queryset
        return self.filterset.filter_queryset(queryset)
