from django.contrib import admin

from .models import InboundEvent, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["slug", "provider", "active", "last_received_at", "created_at"]
    list_filter = ["provider", "active"]
    search_fields = ["slug"]


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "endpoint",
        "received_at",
        "auth_ok",
        "response_code",
        "state",
        "outcome",
        "report_count",
    ]
    list_filter = ["endpoint", "state", "outcome", "auth_ok"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    list_select_related = ["endpoint"]
    exclude = ["body"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields if f.name != "body"]
