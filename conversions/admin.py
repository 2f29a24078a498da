from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Conversion


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    """Read-only: conversions arrive over the API, and the rollups count them as they do."""

    list_display = ["message", "converted_at", "matched_by", "received_at"]
    list_filter = ["matched_by"]
    date_hierarchy = "received_at"
    raw_id_fields = ["message"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
