from django.contrib import admin
from django.db import models

from .models import Alert, AlertNotification, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active", "provider", "operator", "channel", "campaign"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "provider", "operator", "dlt_template_id", "error_code"]
    # Receivers are https in practice; Django 6 makes this the default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "kind", "active"]}),
        (
            "Segment",
            {"fields": ["campaign", "provider", "operator", "channel", "dlt_template_id"]},
        ),
        ("Error spike / no DLR", {"fields": ["error_code", "endpoint"]}),
        (
            "Evaluation",
            {
                "fields": [
                    "window_minutes",
                    "baseline_days",
                    "min_volume",
                    "threshold_points",
                    "threshold_sigmas",
                    "resolve_margin_points",
                ]
            },
        ),
        ("Notifications", {"fields": ["email_recipients", "webhook_url", "webhook_secret"]}),
    ]


class AlertNotificationInline(admin.TabularInline):
    model = AlertNotification
    extra = 0
    can_delete = False
    readonly_fields = [
        "event",
        "channel",
        "destination",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    ]
    fields = tuple(readonly_fields)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["rule", "state", "fired_at", "resolved_at", "observed", "baseline", "volume"]
    list_filter = ["state"]
    list_select_related = ["rule"]
    date_hierarchy = "fired_at"
    readonly_fields = [f.name for f in Alert._meta.fields]
    inlines = [AlertNotificationInline]
