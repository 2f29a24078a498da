"""The admin is support's main tool: find a message fast, see what providers said about it.

Nothing a provider reported can be edited here; only the campaign a message belongs to.
Phone numbers go through `masking.phone_for` on every list, page and search result.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.times import time_display, time_display_wrapping

from .admin_filters import (
    CreatedFilter,
    HasErrorCodeFilter,
    MessageFilterParams,
    NoFinalReportFilter,
    OperatorFilter,
    ProviderFilter,
)
from .campaigns import campaign_delete
from .error_codes import error_code_meaning
from .masking import full_phone_view_record, phone_for
from .models import Campaign, Message, StatusEvent
from .paginators import EstimatedCountPaginator
from .phones import phone_to_e164
from .registration import message_save_edited
from .roles import can_view_costs, can_view_dashboard
from .templatetags.trace import duration, outcome_label, status_badge
from .user_admin import user_admin_register
from .views.exports import messages_csv_response

user_admin_register()


class NulRefusingAdmin(admin.ModelAdmin):
    """Answers 400 to query strings with NUL characters, which PostgreSQL cannot compare.

    Every built-in list filter would pass them straight into a query and fail with a 500.
    """

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            return HttpResponseBadRequest("NUL characters are not allowed in a query.")
        return super().changelist_view(request, extra_context)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "ref_prefix", "created_at"]
    search_fields = ["name", "ref_prefix"]

    # Both ways of deleting keep the rollups in step (see deliveries/campaigns.py).
    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        campaign_delete(campaign=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset:
            campaign_delete(campaign=campaign)


def _seconds(value: datetime | None) -> str:
    # Support compares these with provider dashboards: the seconds matter.
    return time_display(value)


def _error_text(provider: str, code: str) -> str:
    if not code:
        return ""
    meaning = error_code_meaning(provider=provider, code=code)
    return f"{code}: {meaning.meaning}" if meaning else f"{code}: unknown"


class StatusEventInline(admin.TabularInline):
    model = StatusEvent
    extra = 0
    can_delete = False
    ordering = ["received_at", "id"]
    fields = (
        "received",
        "provider_time_display",
        "status_badge",
        "provider_status",
        "provider_code",
        "error",
        "outcome_text",
        "webhook_log",
    )
    readonly_fields = fields
    verbose_name = "report"
    verbose_name_plural = "timeline"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="received")
    def received(self, event: StatusEvent) -> str:
        return _seconds(event.received_at)

    @admin.display(description="provider time")
    def provider_time_display(self, event: StatusEvent) -> str:
        return _seconds(event.provider_time)

    @admin.display(description="status")
    def status_badge(self, event: StatusEvent) -> SafeString:
        return status_badge(event.status)

    @admin.display(description="error")
    def error(self, event: StatusEvent) -> str:
        return _error_text(event.message.provider, event.error_code)

    @admin.display(description="outcome")
    def outcome_text(self, event: StatusEvent) -> str:
        return outcome_label(event.outcome)

    @admin.display(description="webhook log")
    def webhook_log(self, event: StatusEvent) -> str:
        if not event.inbound_event_id:
            return "—"
        url = reverse("admin:webhooks_inboundevent_change", args=[event.inbound_event_id])
        return format_html('<a href="{}">#{}</a>', url, event.inbound_event_id)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusEvent]:
        return super().get_queryset(request).select_related("message")


# Everything a provider reported. Only `campaign` is ours to change.
PROVIDER_FIELDS = [f.name for f in Message._meta.fields if f.name not in ("id", "campaign")]
COST_FIELDS: list[Any] = [
    "cost",
    "cost_currency",
    "cost_source",
    "price_unreadable",
    "encoding",
    "category",
]


@admin.register(Message)
class MessageAdmin(NulRefusingAdmin):
    list_filter = [
        MessageFilterParams,
        "status",
        "channel",
        OperatorFilter,
        ProviderFilter,
        "campaign",
        NoFinalReportFilter,
        HasErrorCodeFilter,
        CreatedFilter,
    ]
    search_fields = ["=message_id", "=client_ref"]
    search_help_text = "Message id, client_ref, or a phone number written any way."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice, over the whole table
    paginator = EstimatedCountPaginator
    list_select_related = ["campaign"]
    list_per_page = 50
    inlines = [StatusEventInline]
    fieldsets = [
        (None, {"fields": ["provider", "message_id", "channel", "to_display", "to_raw_display"]}),
        (
            "Status",
            {
                "fields": [
                    "status_badge",
                    "provider_status",
                    "provider_code",
                    "error_display",
                    "error_message",
                ]
            },
        ),
        (
            "Times",
            {
                "fields": [
                    "submitted_at",
                    "sent_at",
                    "delivered_at",
                    "read_at",
                    "latency",
                    "call_duration",
                    "registered_at",
                    "created_at",
                    "status_changed_at",
                ]
            },
        ),
        (
            "Routing",
            {
                "fields": [
                    "sender",
                    "operator",
                    "client_ref",
                    "tag",
                    "campaign",
                    "dlt_template_id",
                    "segments",
                    "environment",
                    "trace_link",
                ]
            },
        ),
    ]
    readonly_fields = [
        *PROVIDER_FIELDS,
        "to_display",
        "to_raw_display",
        "status_badge",
        "error_display",
        "latency",
        "trace_link",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages come from providers' reports and the API, never by hand

    def save_model(self, request: HttpRequest, obj: Message, form: Any, change: bool) -> None:
        message_save_edited(message=obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if can_view_costs(request.user):  # support staff do not see what messages cost
            fieldsets.append(("Cost", {"fields": COST_FIELDS}))
        return fieldsets

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # A closure over the request: list columns have no other way to know the viewer.
        def to(message: Message) -> str:
            return phone_for(request.user, message.to)

        to.short_description = "to"  # type: ignore[attr-defined]
        return [
            "message_id",
            "provider",
            "channel",
            to,
            "status_badge",
            "error_code",
            "operator",
            "campaign",
            "submitted",
            "delivered",
            "latency",
        ]

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="deliveries_message_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> HttpResponseBase:
        """The list as it is filtered, searched and ordered, as CSV: built by the same
        ChangeList as the page, so the file holds the messages the page counts."""
        if not (self.has_view_permission(request) and can_view_dashboard(request.user)):
            raise PermissionDenied
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            return HttpResponseBadRequest("NUL characters are not allowed in a query.")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Bad filter.")
        return messages_csv_response(request, changelist.queryset, export="admin messages")

    @admin.display(description="submitted at", ordering="submitted_at")
    def submitted(self, message: Message) -> SafeString:
        return time_display_wrapping(message.submitted_at)

    @admin.display(description="delivered at", ordering="delivered_at")
    def delivered(self, message: Message) -> SafeString:
        return time_display_wrapping(message.delivered_at)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Bulk exports are the dashboard roles' (as on the dashboard), audited.
        extra_context = {**(extra_context or {}), "can_export": can_view_dashboard(request.user)}
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # a page of messages was shown (not a redirect or 400)
            count = len(changelist.result_list)
            full_phone_view_record(
                request=request, surface="admin message list", count=count, target=Message
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if original is not None:  # the page of one message was shown
            full_phone_view_record(request=request, surface="admin message", target=original)
        return response

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        message = super().get_object(request, object_id, from_field)
        if message is not None:
            # The change form's read-only fields see only the object: tell it who looks.
            message.viewer_phone = _phone_formatter(request)
        return message

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        term = search_term.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        if not term:
            return queryset, False
        # Exact matches, each served by its index: the stock "=field" search is iexact,
        # UPPER(field) = UPPER(term), which no index serves (a scan of every message).
        match = Q(message_id=term) | Q(client_ref=term)
        e164 = phone_to_e164(term)
        if e164:
            match |= Q(to=e164)
        return queryset.filter(match), False

    @admin.display(description="status", ordering="status")
    def status_badge(self, message: Message) -> SafeString:
        return status_badge(message.status)

    @admin.display(description="submit → delivered")
    def latency(self, message: Message) -> str:
        return duration(message.latency_seconds)

    @admin.display(description="to")
    def to_display(self, message: Message) -> str:
        return message.viewer_phone(message.to)  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="to (as reported)")
    def to_raw_display(self, message: Message) -> str:
        return message.viewer_phone(message.to_raw)  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="error code")
    def error_display(self, message: Message) -> str:
        return _error_text(message.provider, message.error_code) or "—"

    @admin.display(description="trace")
    def trace_link(self, message: Message) -> str:
        url = reverse("deliveries:trace-message", args=[message.pk])
        return format_html('<a href="{}">Open the trace page</a>', url)


def _phone_formatter(request: HttpRequest) -> Callable[[str], str]:
    return lambda number: phone_for(request.user, number)


@admin.register(StatusEvent)
class StatusEventAdmin(NulRefusingAdmin):
    list_display = ["message", "status", "provider_status", "outcome", "received_at"]
    list_filter = ["status", "outcome"]
    search_fields = ["=message__message_id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice, over the whole table
    paginator = EstimatedCountPaginator
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    readonly_fields = [f.name for f in StatusEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
