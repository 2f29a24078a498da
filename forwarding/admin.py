"""Admin: subscriptions (secrets write-only, health, test event) and the delivery log
(every attempt, the payload, replay)."""

import hashlib
import json
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from deliveries.models import Campaign
from deliveries.reports import CHANNEL_CHOICES
from deliveries.status import CHOICES as STATUS_CHOICES

from . import services
from .models import EVENT_TYPE_CHOICES, Delivery, DeliveryAttempt, Subscription, secret_check
from .payload import payloads_build
from .selectors import subscription_health


def _fingerprint(secret: str) -> str:
    return f"…{secret[-4:]} (sha256 {hashlib.sha256(secret.encode()).hexdigest()[:8]})"


class SubscriptionForm(forms.ModelForm):
    # Receivers are https in practice; Django 6 makes this the default.
    url = forms.URLField(label="Target URL", max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    statuses = forms.MultipleChoiceField(
        choices=STATUS_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    providers = forms.CharField(
        required=False, help_text="Comma-separated provider names, e.g. smstake, wavix."
    )
    campaigns = forms.ModelMultipleChoiceField(queryset=Campaign.objects.all(), required=False)
    add_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="whsec_… Never displayed again. Left empty on a new subscription, one is "
        "generated and shown once.",
    )
    retire_secrets = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Retire a secret once the receiver verifies with the new one.",
    )

    class Meta:
        model = Subscription
        fields = [
            "name",
            "url",
            "active",
            "event_types",
            "no_dlr_seconds",
            "providers",
            "channels",
            "campaigns",
            "statuses",
            "client_ref_prefix",
            "include_phone_numbers",
            "retry_hours",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["retire_secrets"]).choices = [
            (str(i), _fingerprint(s)) for i, s in enumerate(self.instance.secrets)
        ]
        self.initial["providers"] = ", ".join(self.instance.providers)
        self.initial["campaigns"] = self.instance.campaigns

    def clean_providers(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["providers"].split(",") if p.strip()]

    def clean_campaigns(self) -> list[int]:
        return [c.pk for c in self.cleaned_data["campaigns"]]

    def clean_add_secret(self) -> str:
        value: str = self.cleaned_data["add_secret"]
        if value:
            secret_check(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        retire = set(cleaned.get("retire_secrets") or [])
        kept = [s for i, s in enumerate(self.instance.secrets) if str(i) not in retire]
        new = cleaned.get("add_secret") or ""
        self.generated = ""
        if not new and not kept:
            new = self.generated = services.subscription_secret_generate()
        if new and new not in kept:
            kept.append(new)
        self.instance.secrets = kept
        return cleaned


class SinceFilter(admin.SimpleListFilter):
    """Replay "everything since a time": filter, select all, run the replay action."""

    title = "written in the last"
    parameter_name = "since"
    _hours = {"1h": 1, "6h": 6, "24h": 24, "3d": 72, "7d": 168}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, key) for key in self._hours]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        hours = self._hours.get(self.value() or "")
        if hours is None:
            return queryset
        return queryset.filter(created_at__gte=timezone.now() - timedelta(hours=hours))


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "active", "event_types", "health", "failing_since"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    actions = ["send_test_event"]
    readonly_fields = (
        "health",
        "disabled_reason",
        "failing_since",
        "paused_until",
        "consecutive_failures",
        "created_at",
    )
    fieldsets = [
        (None, {"fields": ["name", "url", "active", "event_types", "no_dlr_seconds"]}),
        ("Secrets", {"fields": ["add_secret", "retire_secrets"]}),
        (
            "Filters",
            {"fields": ["providers", "channels", "campaigns", "statuses", "client_ref_prefix"]},
        ),
        ("Delivery", {"fields": ["include_phone_numbers", "retry_hours"]}),
        ("Health", {"fields": readonly_fields}),
    ]

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        if obj.active:
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)
        if form.generated:
            messages.warning(
                request, f"Signing secret (shown once, copy it to the receiver): {form.generated}"
            )

    @admin.display(description="health (last hour)")
    def health(self, subscription: Subscription) -> str:
        if subscription.pk is None:
            return "—"
        h = subscription_health(subscription=subscription)
        rate = f"{h.success_rate_last_hour:.0%}" if h.success_rate_last_hour is not None else "—"
        oldest = f"{h.oldest_pending_seconds:.0f} s" if h.oldest_pending_seconds else "—"
        return f"{rate} of {h.attempts_last_hour} attempts OK; {h.backlog} pending, oldest {oldest}"

    @admin.action(description="Send a test event and show the answer")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset[:10]:
            _, answer = services.subscription_test(subscription=subscription)
            text = answer.excerpt.decode("utf-8", errors="replace")[:300]
            level = messages.SUCCESS if answer.ok else messages.ERROR
            said = f"answered {answer.status} in {answer.latency_ms:.0f} ms: {text!r}"
            self.message_user(request, f"{subscription}: {answer.error or said}", level=level)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "latency_ms", "response", "error", "next_attempt_at")
    readonly_fields = fields
    ordering = ["attempted_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subscription",
        "event_type",
        "message_id",
        "status",
        "state",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type", "subscription", SinceFilter]
    list_select_related = ["subscription"]
    show_full_result_count = False  # the log can hold millions of rows
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]
    readonly_fields = ["webhook_id", "payload", *[f.name for f in Delivery._meta.fields]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="payload (as it is sent now)")
    def payload(self, delivery: Delivery) -> str:
        subscription = Subscription.objects.filter(pk=delivery.subscription_id).first()
        phones = (
            {delivery.subscription_id}
            if subscription and subscription.include_phone_numbers
            else set()
        )
        body = payloads_build([delivery], phone_numbers=phones)[delivery.pk]
        return format_html("<pre>{}</pre>", json.dumps(json.loads(body), indent=2))

    @admin.action(description="Replay (send again, same webhook-id)", permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.deliveries_replay(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliveries queued again.")
