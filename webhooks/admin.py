"""Webhook logs and endpoints in the admin: what arrived, whether it counted, and why not.

Stored secrets are never shown again: an endpoint's secrets appear as fingerprints only,
and the raw bodies in the log are redacted before they are displayed.
"""

import hashlib
import ipaddress
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from audit.admin import AuditedAdminMixin
from deliveries.admin import NulRefusingAdmin
from deliveries.models import StatusEvent
from deliveries.paginators import EstimatedCountPaginator

from .models import InboundEvent, WebhookEndpoint
from .providers import PROVIDERS, Provider
from .selectors import endpoint_health
from .services import REDACTED, inbound_events_reprocess

# Payload keys whose values are credentials wherever they appear, whatever the provider.
SECRET_KEY_WORDS = ("token", "secret", "password", "passwd", "signature", "authorization")
# Beyond this, selecting "all" in the changelist should be a management command.
REPROCESS_ACTION_LIMIT = 5000
BODY_DISPLAY_LIMIT = 64 * 1024


def secret_fingerprint(secret: str) -> str:
    """What the admin shows of a stored secret: its last four characters, nothing more."""
    return "…" + secret[-4:] if len(secret) >= 12 else "…" + "•" * 4


def _secret_id(secret: str) -> str:
    # The form refers to a stored secret by a hash, so no secret travels to the browser.
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _is_secret_key(key: str, provider: Provider | None) -> bool:
    name = key.lower()
    if provider:
        declared = (*provider.secret_params, *provider.secret_headers)
        if name in {p.lower() for p in declared}:
            return True
    return any(word in name for word in SECRET_KEY_WORDS)


def _redact(value: Any, provider: Provider | None) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret_key(str(k), provider) else _redact(v, provider)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, provider) for item in value]
    return value


def _pairs_redacted(text: str, provider: Provider | None) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    return "\n".join(
        f"{key} = {REDACTED if _is_secret_key(key, provider) else value}" for key, value in pairs
    )


def body_pretty(body: bytes, *, content_type: str, provider: Provider | None) -> str:
    """The raw body for people: JSON indented, forms decoded, credentials redacted."""
    if not body:
        return ""
    try:
        text = body[:BODY_DISPLAY_LIMIT].decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(body)} bytes, not UTF-8: not shown)"
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        data = None
    else:
        return json.dumps(_redact(data, provider), indent=2, ensure_ascii=False)
    if "x-www-form-urlencoded" in content_type or (
        "=" in text and not any(c.isspace() for c in text.strip())
    ):
        return _pairs_redacted(text, provider)
    return text


def _provider_for(name: str) -> Provider | None:
    cls = PROVIDERS.get(name)
    return cls() if cls else None


# --- Endpoints ---------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
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
        fields = ["provider", "slug", "active", "allowed_ips"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["retire_secrets"].choices = [
            (_secret_id(secret), secret_fingerprint(secret)) for secret in self.instance.secrets
        ]

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
        return cleaned

    def save(self, commit: bool = True) -> WebhookEndpoint:
        self.instance.secrets = self.secrets_after
        return super().save(commit=commit)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdminMixin, NulRefusingAdmin):
    form = WebhookEndpointForm
    # Audited as endpoint.create/change/delete; secrets as endpoint.secret_change, counted.
    audit_name = "endpoint"
    audit_secret_fields = ("secrets",)
    list_display = [
        "slug",
        "provider",
        "active",
        "last_received",
        "received",
        "auth_failures",
        "unparseable",
        "log_link",
    ]
    list_filter = ["provider", "active"]
    search_fields = ["slug"]
    readonly_fields = [
        "paste_url",
        "setup_help",
        "last_received",
        "health",
        "created_at",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        general = ["provider", "slug", "active", "allowed_ips"]
        if obj is None:
            return [(None, {"fields": [*general, "add_secret"]})]
        return [
            (None, {"fields": [*general, "paste_url", "setup_help"]}),
            ("Secrets", {"fields": ["retire_secrets", "add_secret"]}),
            ("Health", {"fields": ["last_received", "health", "created_at"]}),
        ]

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

    @admin.display(description="URL to paste into the provider's dashboard")
    def paste_url(self, endpoint: WebhookEndpoint) -> SafeString:
        url = getattr(endpoint, "absolute_url", endpoint.public_url())
        # Providers that do not sign (Wavix) authenticate with the secret in the URL.
        hint = "?token=<secret>" if endpoint.provider == "wavix" else ""
        return format_html('<code class="paste-url">{}{}</code>', url, hint)

    @admin.display(description="setup")
    def setup_help(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.provider_adapter().setup_help

    @admin.display(description="last DLR received", ordering="last_report_at")
    def last_received(self, endpoint: WebhookEndpoint) -> str:
        last = endpoint.last_report_at  # type: ignore[attr-defined]
        if last is None:
            return "never"
        return f"{localtime(last):%Y-%m-%d %H:%M:%S} ({_ago(timezone.now() - last)} ago)"

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
    date_hierarchy = "received_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice, over the whole log
    paginator = EstimatedCountPaginator
    list_select_related = ["endpoint"]
    list_per_page = 50
    actions = ["reprocess"]
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
                    "processing_ms",
                ]
            },
        ),
        ("Request", {"fields": ["body_display", "query_display", "headers_display"]}),
    ]
    readonly_fields = [
        *(f.name for f in InboundEvent._meta.fields if f.name != "body"),
        "auth_result",
        "reports",
        "body_display",
        "query_display",
        "headers_display",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a log: what arrived is what arrived

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # Granted to Support (see deliveries/migrations/0002_roles.py).
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

    @admin.display(description="endpoint", ordering="endpoint__slug")
    def endpoint_slug(self, event: InboundEvent) -> str:
        return event.endpoint.slug

    @admin.display(description="received", ordering="received_at")
    def received(self, event: InboundEvent) -> str:
        return f"{localtime(event.received_at):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="auth", ordering="auth_ok")
    def auth_result(self, event: InboundEvent) -> SafeString:
        if event.auth_ok:
            return format_html('<span class="{}">ok</span>', "auth-ok")
        return format_html('<span class="auth-failed">failed: {}</span>', event.auth_error)

    @admin.display(description="error")
    def error_short(self, event: InboundEvent) -> str:
        return event.error if len(event.error) <= 80 else event.error[:79] + "…"

    @admin.display(description="body (credentials redacted)")
    def body_display(self, event: InboundEvent) -> SafeString:
        text = body_pretty(
            bytes(event.body),
            content_type=str(event.headers.get("content-type", "")),
            provider=_provider_for(event.endpoint.provider),
        )
        if not text:
            return format_html('<span class="muted">{}</span>', _empty_body_reason(event))
        return format_html('<pre class="raw-body">{}</pre>', text)

    @admin.display(description="query string")
    def query_display(self, event: InboundEvent) -> SafeString:
        if not event.query_string:
            return format_html("{}", "—")
        text = _pairs_redacted(event.query_string, _provider_for(event.endpoint.provider))
        return format_html('<pre class="raw-body">{}</pre>', text)

    @admin.display(description="headers (credentials redacted)")
    def headers_display(self, event: InboundEvent) -> SafeString:
        headers = _redact(dict(event.headers), _provider_for(event.endpoint.provider))
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
