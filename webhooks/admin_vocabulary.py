"""The admin's tools for onboarding a gateway: the "try a sample" page of an endpoint, and
the list of status strings no mapping knows ("Unmapped statuses")."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from deliveries.admin import NulRefusingAdmin

from .models import UnmappedStatus, WebhookEndpoint
from .providers.custom import CustomProvider
from .samples import sample_parse

CONTENT_TYPES = [
    ("application/json", "application/json"),
    ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ("text/plain", "text/plain"),
    ("", "(none)"),
]


class SampleForm(forms.Form):
    method = forms.ChoiceField(choices=[("POST", "POST"), ("GET", "GET")])
    content_type = forms.ChoiceField(choices=CONTENT_TYPES, required=False)
    query = forms.CharField(
        label="query string",
        required=False,
        help_text="Optional, e.g. msgid=123&status=DELIVRD (a GET callback's fields).",
        widget=forms.TextInput(attrs={"size": 100}),
    )
    body = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 100, "spellcheck": "false"}),
    )


def sample_view(
    model_admin: "admin.ModelAdmin[WebhookEndpoint]", request: HttpRequest, object_id: str
) -> TemplateResponse:
    """Paste a sample callback and see the reports it makes; nothing is stored."""
    endpoint = model_admin.get_object(request, object_id)
    if endpoint is None:
        raise Http404("no such endpoint")
    if not model_admin.has_change_permission(request, endpoint):
        raise PermissionDenied
    form = SampleForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = sample_parse(
            endpoint=endpoint,
            method=form.cleaned_data["method"],
            content_type=form.cleaned_data["content_type"],
            query=form.cleaned_data["query"],
            body=form.cleaned_data["body"].encode("utf-8", "surrogateescape"),
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Try a sample on {endpoint.slug}",
        "opts": model_admin.model._meta,
        "original": endpoint,
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/webhooks/webhookendpoint/sample.html", context)


def endpoint_takes_token(endpoint: WebhookEndpoint) -> bool:
    """A custom endpoint authenticated by the token convention (or not mapped yet)."""
    adapter = endpoint.provider_adapter()
    mapping = getattr(adapter, "mapping", None)
    return isinstance(adapter, CustomProvider) and (mapping is None or mapping.auth_kind == "token")


def sample_link(endpoint: WebhookEndpoint) -> SafeString:
    url = reverse("admin:webhooks_webhookendpoint_sample", args=[endpoint.pk])
    return format_html('<a href="{}">Try a sample callback</a> (nothing is stored)', url)


def unmapped_link(endpoint: WebhookEndpoint) -> SafeString:
    """How many status strings of this endpoint no mapping knows, linking to them."""
    count = endpoint.unmapped_statuses.count()
    if not count:
        return format_html("{}", "none")
    url = reverse("admin:webhooks_unmappedstatus_changelist")
    return format_html(
        '<a href="{}?endpoint__id__exact={}">{} status string{}</a> not in the mapping',
        url,
        endpoint.pk,
        count,
        "" if count == 1 else "s",
    )


@admin.register(UnmappedStatus)
class UnmappedStatusAdmin(NulRefusingAdmin):
    list_display = [
        "provider",
        "raw_status",
        "count",
        "first_seen_at",
        "last_seen_at",
        "endpoint_link",
        "example",
        "mapped_now",
    ]
    list_filter = ["provider", "endpoint"]
    search_fields = ["raw_status", "provider"]
    list_select_related = ["endpoint"]
    ordering = ["-last_seen"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # counted by the drain; deleting one (once mapped) restarts its count

    @admin.display(description="first seen", ordering="first_seen")
    def first_seen_at(self, row: UnmappedStatus) -> str:
        return f"{localtime(row.first_seen):%Y-%m-%d %H:%M}"

    @admin.display(description="last seen", ordering="last_seen")
    def last_seen_at(self, row: UnmappedStatus) -> str:
        return f"{localtime(row.last_seen):%Y-%m-%d %H:%M}"

    @admin.display(description="endpoint", ordering="endpoint__slug")
    def endpoint_link(self, row: UnmappedStatus) -> SafeString:
        url = reverse("admin:webhooks_webhookendpoint_change", args=[row.endpoint_id])
        return format_html('<a href="{}">{}</a>', url, row.endpoint.slug)

    @admin.display(description="mapped now", boolean=True)
    def mapped_now(self, row: UnmappedStatus) -> bool | None:
        """A custom endpoint's mapping may have learnt it since (delete the row then)."""
        adapter = row.endpoint.provider_adapter()
        mapping = getattr(adapter, "mapping", None)
        if not isinstance(adapter, CustomProvider) or mapping is None:
            return None
        return row.raw_status.casefold() in mapping.statuses

    @admin.display(description="example event")
    def example(self, row: UnmappedStatus) -> SafeString:
        if row.example_event_id is None:
            return format_html("{}", "—")
        url = reverse("admin:webhooks_inboundevent_change", args=[row.example_event_id])
        return format_html('<a href="{}">#{}</a>', url, row.example_event_id)
