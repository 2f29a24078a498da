"""Webhook logs and endpoints in the admin: what arrived, whether it counted, and why not.

Stored secrets are never shown again: an endpoint's secrets appear as fingerprints only,
and the requests in the log are shown through `webhooks.redaction` (credentials and
message text redacted, numbers masked without the view-full-phone permission).
"""

import hashlib
import ipaddress
from datetime import timedelta
from functools import partial
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.times import time_display
from audit.admin import AuditedAdminMixin
from deliveries.admin import NulRefusingAdmin
from deliveries.masking import can_view_full_phone
from deliveries.models import StatusEvent
from deliveries.paginators import EstimatedCountPaginator
from deliveries.reports import Environment

from .admin_vocabulary import endpoint_takes_token, sample_link, sample_view, unmapped_link
from .endpoints import EndpointBusy, endpoint_delete, endpoints_pending
from .inbox import inbound_events_reprocess
from .mapping_form import MappingFields, mapping_fieldsets, mapping_from_form, mapping_initial
from .models import InboundEvent, WebhookEndpoint
from .redaction import body_to_show, headers_redacted, query_to_show
from .selectors import endpoint_health
from .triage import inbound_events_discard, inbound_events_park

# Beyond this, selecting "all" in the changelist should be a management command.
REPROCESS_ACTION_LIMIT = 5000
BODY_DISPLAY_LIMIT = 64 * 1024


def secret_fingerprint(secret: str) -> str:
    """What the admin shows of a stored secret: its last four characters, nothing more."""
    return "…" + secret[-4:] if len(secret) >= 12 else "…" + "•" * 4


def _secret_id(secret: str) -> str:
    # The form refers to a stored secret by a hash, so no secret travels to the browser.
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


# --- Endpoints ---------------------------------------------------------------------


class WebhookEndpointForm(MappingFields, forms.ModelForm):  # type: ignore[misc]
    add_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Paste the provider's signing secret or token. It is never displayed again; "
        "the old ones keep working until you retire them.",
    )
    retire_secrets = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Retire a secret once the provider uses the new one.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["provider", "slug", "environment", "active", "allowed_ips"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial = {**mapping_initial(self.instance.mapping), **self.initial}
        if "environment" in self.fields:  # not for those who may only view
            self.fields["environment"].required = False
        cast(forms.MultipleChoiceField, self.fields["retire_secrets"]).choices = [
            (_secret_id(secret), secret_fingerprint(secret)) for secret in self.instance.secrets
        ]

    def clean_environment(self) -> str:
        # A form that leaves it out (scripts posting the old fields) keeps the default.
        return str(self.cleaned_data.get("environment") or Environment.LIVE.value)

    def clean_allowed_ips(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["allowed_ips"].splitlines()]
        for line in filter(None, lines):
            try:
                ipaddress.ip_network(line, strict=False)
            except ValueError:
                raise forms.ValidationError(f"{line!r} is not an address or a network") from None
        return "\n".join(filter(None, lines))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        retire = set(cleaned.get("retire_secrets") or [])
        kept = [s for s in self.instance.secrets if _secret_id(s) not in retire]
        new = cleaned.get("add_secret") or ""
        if new and new not in kept:
            kept.append(new)
        if not kept:
            raise forms.ValidationError(
                "An endpoint needs at least one secret: without one every request is refused."
            )
        self.secrets_after = kept
        if (cleaned.get("provider") or self.instance.provider) == "custom":
            slug = cleaned.get("slug") or self.instance.slug
            mapping = mapping_from_form(self, slug=slug)  # errors go to the fields named
            if mapping is not None:
                self.instance.mapping = mapping
        return cleaned

    def save(self, commit: bool = True) -> WebhookEndpoint:
        self.instance.secrets = self.secrets_after
        endpoint: WebhookEndpoint = super().save(commit=commit)
        return endpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdminMixin, NulRefusingAdmin):
    form = WebhookEndpointForm
    # Audited as endpoint.create/change/delete; secrets as endpoint.secret_change, counted.
    audit_name = "endpoint"
    audit_secret_fields = ("secrets",)
    list_display = [
        "slug",
        "provider",
        "environment_badge",
        "active",
        "last_received",
        "received",
        "auth_failures",
        "unparseable",
        "log_link",
    ]
    list_filter = ["provider", "environment", "active"]
    search_fields = ["slug"]
    readonly_fields = [
        "paste_url",
        "setup_help",
        "sample",
        "unmapped",
        "last_received",
        "health",
        "created_at",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        general = ["provider", "slug", "environment", "active", "allowed_ips"]
        if obj is None:
            return [(None, {"fields": [*general, "add_secret"]}), *mapping_fieldsets(None)]
        return [
            (None, {"fields": [*general, "paste_url", "setup_help", "sample"]}),
            *mapping_fieldsets(obj.provider),
            ("Secrets", {"fields": ["retire_secrets", "add_secret"]}),
            ("Health", {"fields": ["last_received", "health", "unmapped", "created_at"]}),
        ]

    def get_urls(self) -> list[URLPattern]:
        sample = path(
            "<path:object_id>/sample/",
            self.admin_site.admin_view(partial(sample_view, self)),
            name="webhooks_webhookendpoint_sample",
        )
        return [sample, *super().get_urls()]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The provider decides how requests authenticate: changing it is a new endpoint.
        return [*self.readonly_fields, "provider"] if obj else self.readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return endpoint_health(queryset=super().get_queryset(request), now=timezone.now())

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        endpoint = super().get_object(request, object_id, from_field)
        if endpoint is not None:
            # The URL to paste is the one this admin is reached at, scheme and host included.
            endpoint.absolute_url = request.build_absolute_uri(endpoint.get_absolute_url())
        return endpoint

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Pending reports were acknowledged to the provider: listed as protected, so the
        # delete page and the bulk action refuse (see webhooks/endpoints.py).
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        pending = endpoints_pending(endpoints=objs)
        busy = [str(EndpointBusy(e, pending[e.pk])) for e in objs if e.pk in pending]
        return deleted, counts, perms_needed, [*protected, *busy]

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for endpoint in queryset:
            try:
                # Audited only if it goes: a refusal rolls the entry back with the delete.
                with transaction.atomic():
                    self._audit_delete(request, endpoint)
                    endpoint_delete(endpoint=endpoint)
            except EndpointBusy as busy:  # a report arrived after the confirmation page
                self.message_user(request, str(busy), messages.ERROR)

    @admin.display(description="URL to paste into the provider's dashboard")
    def paste_url(self, endpoint: WebhookEndpoint) -> SafeString:
        url = getattr(endpoint, "absolute_url", endpoint.public_url())
        # Providers that do not sign (Wavix, Gupshup, Exotel…) authenticate with the secret
        # in the URL, their setup help says so; so do custom endpoints set up for a token.
        token = "?token=<secret>" in endpoint.provider_adapter().setup_help or (
            endpoint_takes_token(endpoint)
        )
        hint = "?token=<secret>" if token else ""
        return format_html('<code class="paste-url">{}{}</code>', url, hint)

    @admin.display(description="unmapped statuses")
    def unmapped(self, endpoint: WebhookEndpoint) -> SafeString:
        return unmapped_link(endpoint)

    @admin.display(description="try it")
    def sample(self, endpoint: WebhookEndpoint) -> SafeString:
        return sample_link(endpoint)

    @admin.display(description="setup")
    def setup_help(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.provider_adapter().setup_help

    @admin.display(description="environment", ordering="environment")
    def environment_badge(self, endpoint: WebhookEndpoint) -> SafeString:
        # Sandbox stands out: a live endpoint silent beside a busy sandbox one is the first
        # cause of missing DLRs providers list.
        colour = "#b7791f" if endpoint.environment == Environment.SANDBOX else "#2f7d4f"
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, endpoint.get_environment_display()
        )

    @admin.display(description="last DLR received", ordering="last_report_at")
    def last_received(self, endpoint: WebhookEndpoint) -> str:
        last = endpoint.last_report_at  # type: ignore[attr-defined]
        if last is None:
            return "never"
        return f"{time_display(last)} ({_ago(timezone.now() - last)} ago)"

    @admin.display(description="received 1 h / 24 h")
    def received(self, endpoint: WebhookEndpoint) -> str:
        return f"{endpoint.received_hour} / {endpoint.received_day}"  # type: ignore[attr-defined]

    @admin.display(description="auth failures 1 h / 24 h")
    def auth_failures(self, endpoint: WebhookEndpoint) -> SafeString:
        return _pair(endpoint.auth_failures_hour, endpoint.auth_failures_day)  # type: ignore[attr-defined]

    @admin.display(description="unparseable 1 h / 24 h")
    def unparseable(self, endpoint: WebhookEndpoint) -> SafeString:
        return _pair(endpoint.unparseable_hour, endpoint.unparseable_day)  # type: ignore[attr-defined]

    @admin.display(description="last hour / last day")
    def health(self, endpoint: WebhookEndpoint) -> SafeString:
        e: Any = endpoint  # annotated by endpoint_health()
        return format_html(
            "received: {} / {}<br>auth failures: {} / {}<br>unparseable: {} / {}",
            e.received_hour,
            e.received_day,
            e.auth_failures_hour,
            e.auth_failures_day,
            e.unparseable_hour,
            e.unparseable_day,
        )

    @admin.display(description="log")
    def log_link(self, endpoint: WebhookEndpoint) -> SafeString:
        url = reverse("admin:webhooks_inboundevent_changelist")
        return format_html('<a href="{}?endpoint__id__exact={}">events</a>', url, endpoint.pk)


def _pair(hour: int, day: int) -> SafeString:
    # Red while it is happening, amber if it happened today.
    colour = "#ba2121" if hour else ("#b7791f" if day else "inherit")
    weight = "bold" if hour or day else "normal"
    return format_html(
        '<span style="color:{};font-weight:{}">{} / {}</span>', colour, weight, hour, day
    )


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# --- Webhook log -------------------------------------------------------------------


class ReceivedFilter(admin.SimpleListFilter):
    title = "received"
    parameter_name = "received"
    PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1h", "last hour"), ("24h", "last 24 hours"), ("7d", "last 7 days")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[InboundEvent]
    ) -> QuerySet[InboundEvent]:
        period = self.PERIODS.get(self.value() or "")
        if period is None:
            return queryset
        return queryset.filter(received_at__gte=timezone.now() - period)


@admin.register(InboundEvent)
class InboundEventAdmin(NulRefusingAdmin):
    list_display = [
        "id",
        "endpoint_slug",
        "received",
        "auth_result",
        "response_code",
        "state",
        "outcome",
        "report_count",
        "error_short",
    ]
    list_filter = ["endpoint", "outcome", "state", "auth_ok", ReceivedFilter]
    search_fields = ["=id"]
    # No date drill-down: its choices are a SELECT DISTINCT over the log of the year or month
    # shown. ReceivedFilter picks recent periods instead.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice, over the whole log
    paginator = EstimatedCountPaginator
    list_select_related = ["endpoint"]
    list_per_page = 50
    actions = ["reprocess", "park", "discard"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "endpoint",
                    "received_at",
                    "method",
                    "remote_addr",
                    "auth_result",
                    "response_code",
                ]
            },
        ),
        (
            "Processing",
            {
                "fields": [
                    "state",
                    "outcome",
                    "error",
                    "report_count",
                    "reports",
                    "attempts",
                    "next_attempt_at",
                    "processed_at",
                    "processing_time",
                ]
            },
        ),
        ("Request", {"fields": ["body_display", "query_display", "headers_display"]}),
    ]
    readonly_fields = [
        *(f.name for f in InboundEvent._meta.fields if f.name != "body"),
        "auth_result",
        "reports",
        "processing_time",
        "body_display",
        "query_display",
        "headers_display",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a log: what arrived is what arrived

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        event = super().get_object(request, object_id, from_field)
        if event is not None:
            # The change form's read-only fields see only the object: tell it who looks.
            event.mask_phones = not can_view_full_phone(request.user)
        return event

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # Granted to Support (see deliveries/migrations/0002_roles.py); it also parks and
        # discards events, the other ways out of a stuck inbox.
        return request.user.has_perm("webhooks.change_inboundevent")

    @admin.action(description="Reprocess selected events", permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundEvent]) -> None:
        events = list(queryset.order_by("pk")[: REPROCESS_ACTION_LIMIT + 1])
        if len(events) > REPROCESS_ACTION_LIMIT:
            self.message_user(
                request,
                f"More than {REPROCESS_ACTION_LIMIT} events selected: use "
                "`manage.py reprocess_events` for large ranges.",
                messages.ERROR,
            )
            return
        skipped = sum(1 for e in events if not e.auth_ok)
        done = inbound_events_reprocess(events=events)
        note = f"; {skipped} unauthentic events skipped" if skipped else ""
        self.message_user(request, f"Reprocessed {done} events{note}.", messages.SUCCESS)

    @admin.action(
        description="Park selected pending events (stop retrying)", permissions=["reprocess"]
    )
    def park(self, request: HttpRequest, queryset: QuerySet[InboundEvent]) -> None:
        if (ids := self._ids_within_limit(request, queryset)) is not None:
            done = inbound_events_park(ids=ids, by=request.user.get_username())
            self._set_aside_report(request, done, len(ids), "parked", "were not pending")

    @admin.action(
        description="Discard selected events (never process them)", permissions=["reprocess"]
    )
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundEvent]) -> None:
        if (ids := self._ids_within_limit(request, queryset)) is not None:
            done = inbound_events_discard(ids=ids, by=request.user.get_username())
            self._set_aside_report(
                request, done, len(ids), "discarded", "were not pending or parked"
            )

    def _ids_within_limit(
        self, request: HttpRequest, queryset: QuerySet[InboundEvent]
    ) -> list[int] | None:
        ids = list(queryset.values_list("pk", flat=True)[: REPROCESS_ACTION_LIMIT + 1])
        if len(ids) <= REPROCESS_ACTION_LIMIT:
            return ids
        self.message_user(
            request, f"More than {REPROCESS_ACTION_LIMIT} events selected.", messages.ERROR
        )
        return None

    def _set_aside_report(
        self, request: HttpRequest, done: int, selected: int, what: str, why_not: str
    ) -> None:
        note = f"; the {selected - done} others {why_not}" if selected > done else ""
        self.message_user(request, f"{done} events {what}{note}.", messages.SUCCESS)

    @admin.display(description="endpoint", ordering="endpoint__slug")
    def endpoint_slug(self, event: InboundEvent) -> str:
        return event.endpoint.slug

    @admin.display(description="received", ordering="received_at")
    def received(self, event: InboundEvent) -> str:
        return time_display(event.received_at)

    @admin.display(description="processing time")
    def processing_time(self, event: InboundEvent) -> str:
        # Measured with perf_counter: the digits past a hundredth of a millisecond are noise.
        return "—" if event.processing_ms is None else f"{event.processing_ms:.2f} ms"

    @admin.display(description="auth", ordering="auth_ok")
    def auth_result(self, event: InboundEvent) -> SafeString:
        if event.auth_ok:
            return format_html('<span class="{}">ok</span>', "auth-ok")
        return format_html('<span class="auth-failed">failed: {}</span>', event.auth_error)

    @admin.display(description="error")
    def error_short(self, event: InboundEvent) -> str:
        return event.error if len(event.error) <= 80 else event.error[:79] + "…"

    @admin.display(description="body (credentials and message text redacted)")
    def body_display(self, event: InboundEvent) -> SafeString:
        text = body_to_show(
            bytes(event.body),
            provider=event.endpoint.provider,
            mask_phones=getattr(event, "mask_phones", True),
            pretty=True,
            phones=event.endpoint.redaction_keys()[1],
        )
        if len(text) > BODY_DISPLAY_LIMIT:
            text = text[:BODY_DISPLAY_LIMIT] + "\n… (truncated)"
        if not text:
            return format_html('<span class="muted">{}</span>', _empty_body_reason(event))
        return format_html('<pre class="raw-body">{}</pre>', text)

    @admin.display(description="query string")
    def query_display(self, event: InboundEvent) -> SafeString:
        if not event.query_string:
            return format_html("{}", "—")
        text = query_to_show(
            event.query_string,
            provider=event.endpoint.provider,
            mask_phones=getattr(event, "mask_phones", True),
            pretty=True,
            phones=event.endpoint.redaction_keys()[1],
        )
        return format_html('<pre class="raw-body">{}</pre>', text)

    @admin.display(description="headers (credentials redacted)")
    def headers_display(self, event: InboundEvent) -> SafeString:
        headers = headers_redacted(event.headers, provider=event.endpoint.provider)
        text = "\n".join(f"{name}: {value}" for name, value in sorted(headers.items()))
        return format_html('<pre class="raw-body">{}</pre>', text)

    @admin.display(description="reports recorded from this event")
    def reports(self, event: InboundEvent) -> SafeString:
        rows = StatusEvent.objects.filter(inbound_event_id=event.pk).select_related("message")
        items = [
            (_trace_url(row.message_id), row.message, row.status, row.outcome) for row in rows[:100]
        ]
        if not items:
            return format_html("{}", "—")
        return format_html_join("", '<div><a href="{}">{}</a>: {} ({})</div>', items)


def _trace_url(message_id: int) -> str:
    return reverse("deliveries:trace-message", args=[message_id])


def _empty_body_reason(event: InboundEvent) -> str:
    if not event.auth_ok:
        return "not kept: the request failed authentication"
    return "empty"
