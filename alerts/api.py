"""Alert rules (CRUD) and alerts (read, acknowledge) over the API.

Routed by `alerts/urls_api.py` under `/api/v1/`: `alert-rules/` and `alerts/`.
"""

import base64
import binascii
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deliveries.api.common import LOOKUP_ANY, LimitOffsetPagination400
from deliveries.api.permissions import RolePermission
from deliveries.api.schema import ERRORS_READ, ERRORS_WRITE
from deliveries.roles import DASHBOARD_ROLES

from . import services
from .links import dashboard_link
from .models import Alert, AlertRule


class AlertRulePermission(RolePermission):
    """Rules carry webhook secrets: campaign managers and administrators only."""

    model = "alerts.alertrule"
    read_roles = DASHBOARD_ROLES
    write_roles = DASHBOARD_ROLES


class AlertPermission(RolePermission):
    model = "alerts.alert"
    read_roles = DASHBOARD_ROLES
    # Acknowledging is a POST: the same people who see alerts may acknowledge them.
    write_roles = DASHBOARD_ROLES


class AlertRuleSerializer(serializers.ModelSerializer):
    webhook_secret_set = serializers.SerializerMethodField(
        help_text="Whether outgoing webhooks are signed. The secret itself is never returned."
    )

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "kind",
            "active",
            "campaign",
            "provider",
            "operator",
            "channel",
            "dlt_template_id",
            "error_code",
            "endpoint",
            "window_minutes",
            "baseline_days",
            "min_volume",
            "threshold_points",
            "threshold_sigmas",
            "resolve_margin_points",
            "email_recipients",
            "webhook_url",
            "webhook_secret",
            "webhook_secret_set",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # Write-only, like endpoint secrets: whoever reads rules could forge alerts with it.
        # Without one a rule gets a generated secret, shown to its managers in the admin.
        extra_kwargs = {"webhook_secret": {"write_only": True}}

    def get_webhook_secret_set(self, rule: AlertRule) -> bool:
        return bool(rule.webhook_secret)

    def validate_webhook_url(self, value: str) -> str:
        # DRF drops the model's URLValidator (and its schemes) for its own, which allows ftp.
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https URLs are called.")
        return value

    def validate_webhook_secret(self, value: str) -> str:

        if value and not value.startswith("whsec_"):
            raise serializers.ValidationError("A Standard Webhooks secret starts with whsec_.")
        try:
            if value and not base64.b64decode(value.removeprefix("whsec_"), validate=True):
                raise serializers.ValidationError("The secret after whsec_ is empty.")
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("The secret after whsec_ must be base64.") from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", AlertRule.Kind.RATE_DROP))
        endpoint = attrs.get("endpoint", getattr(self.instance, "endpoint", None))
        error_code = attrs.get("error_code", getattr(self.instance, "error_code", ""))
        if kind == AlertRule.Kind.NO_DLR and endpoint is None:
            raise serializers.ValidationError({"endpoint": ["A no-DLR rule needs an endpoint."]})
        if kind == AlertRule.Kind.ERROR_SPIKE and not error_code:
            raise serializers.ValidationError(
                {"error_code": ["An error spike rule needs an error code."]}
            )
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    dashboard_url = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "state",
            "fired_at",
            "acknowledged_at",
            "resolved_at",
            "window_since",
            "window_until",
            "observed",
            "baseline",
            "volume",
            "summary",
            "dashboard_url",
        ]
        read_only_fields = fields

    def get_dashboard_url(self, alert: Alert) -> str:
        return dashboard_link(alert)


@extend_schema_view(
    list=extend_schema(
        summary="Alert rules", responses={200: AlertRuleSerializer(many=True), **ERRORS_READ}
    ),
    retrieve=extend_schema(
        summary="One alert rule", responses={200: AlertRuleSerializer, **ERRORS_READ}
    ),
    create=extend_schema(
        summary="Create an alert rule", responses={201: AlertRuleSerializer, **ERRORS_WRITE}
    ),
    update=extend_schema(
        summary="Replace an alert rule", responses={200: AlertRuleSerializer, **ERRORS_WRITE}
    ),
    partial_update=extend_schema(
        summary="Change an alert rule", responses={200: AlertRuleSerializer, **ERRORS_WRITE}
    ),
    destroy=extend_schema(
        summary="Delete an alert rule (and its alerts)", responses={204: None, **ERRORS_WRITE}
    ),
)
class AlertRuleViewSet(viewsets.ModelViewSet):
    queryset = AlertRule.objects.order_by("name", "id")
    serializer_class = AlertRuleSerializer
    lookup_value_regex = LOOKUP_ANY
    permission_classes = [AlertRulePermission]
    pagination_class = LimitOffsetPagination400
    filter_backends: list = []


@extend_schema_view(
    list=extend_schema(
        summary="Alerts, newest first", responses={200: AlertSerializer(many=True), **ERRORS_READ}
    ),
    retrieve=extend_schema(summary="One alert", responses={200: AlertSerializer, **ERRORS_READ}),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertSerializer
    lookup_value_regex = LOOKUP_ANY
    permission_classes = [AlertPermission]
    pagination_class = LimitOffsetPagination400
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Alert]:
        return Alert.objects.select_related("rule").order_by("-fired_at", "-id")

    @extend_schema(
        summary="Acknowledge an alert",
        request=None,
        responses={200: AlertSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        # The permission classes let only signed-in users through.
        user = cast(User, request.user)
        alert = services.alert_acknowledge(alert=self.get_object(), user=user)
        return Response(AlertSerializer(alert).data)
