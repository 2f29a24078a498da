from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DigestRun, DigestSubscription


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "hour", "time_zone", "condition", "active"]
    list_filter = ["frequency", "condition", "active"]
    raw_id_fields = ["user"]


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    """The record that makes each period go out once: read-only."""

    list_display = ["subscription", "since", "until", "outcome", "created_at"]
    list_filter = ["outcome"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
