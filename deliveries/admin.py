from django.contrib import admin

from .models import Campaign, Message, StatusEvent


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "ref_prefix", "created_at"]
    search_fields = ["name", "ref_prefix"]


class StatusEventInline(admin.TabularInline):
    model = StatusEvent
    extra = 0
    can_delete = False
    ordering = ["received_at", "id"]
    fields = [
        "received_at",
        "provider_time",
        "status",
        "provider_status",
        "provider_code",
        "error_code",
        "outcome",
        "inbound_event_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "message_id",
        "provider",
        "channel",
        "to",
        "status",
        "operator",
        "campaign",
        "submitted_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "provider", "operator", "campaign"]
    search_fields = ["=message_id", "=to", "=client_ref"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_select_related = ["campaign"]
    inlines = [StatusEventInline]
    readonly_fields = [f.name for f in Message._meta.fields if f.name != "campaign"]


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = ["message", "status", "provider_status", "outcome", "received_at"]
    list_filter = ["status", "outcome"]
    search_fields = ["=message__message_id"]
    show_full_result_count = False
    list_select_related = ["message"]
    raw_id_fields = ["message"]
