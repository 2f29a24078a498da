"""Subscriptions over the API: `/api/v1/subscriptions/` (Administrator role).

CRUD, with secrets write-only (a generated one is returned once, in the create answer),
plus each subscription's delivery log (`deliveries/`), `replay/` and `test/`. The payload
receivers get is the `ForwardedEvent` component (`forwarding.payload`).
"""

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deliveries.api.common import LOOKUP_ANY, LimitOffsetPagination400
from deliveries.api.permissions import RolePermission
from deliveries.api.schema import ERRORS_READ, ERRORS_WRITE
from deliveries.reports import CHANNEL_CHOICES
from deliveries.roles import ADMINISTRATOR
from deliveries.status import CHOICES as STATUS_CHOICES

from . import services
from .models import EVENT_TYPE_CHOICES, NO_DLR, Delivery, Subscription, secret_check
from .payload import ForwardedEventSerializer
from .selectors import subscription_health


class SubscriptionPermission(RolePermission):
    """Subscriptions carry secrets and send data out: Administrator only."""

    model = "forwarding.subscription"
    read_roles = (ADMINISTRATOR,)
    write_roles = (ADMINISTRATOR,)
    staff_may_read = False


class HealthSerializer(serializers.Serializer):
    attempts_last_hour = serializers.IntegerField()
    success_rate_last_hour = serializers.FloatField(allow_null=True)
    backlog = serializers.IntegerField(help_text="Pending deliveries.")
    oldest_pending_seconds = serializers.FloatField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    paused_until = serializers.DateTimeField(allow_null=True)


def _secret(value: str) -> None:
    try:
        secret_check(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class SubscriptionSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        max_length=200,
        validators=[_secret],
        help_text="whsec_<base64>. Omitted on create: one is generated and returned once.",
    )
    secrets = serializers.ListField(
        child=serializers.CharField(max_length=200, validators=[_secret]),
        write_only=True,
        required=False,
        min_length=1,
        max_length=5,
        help_text="Several secrets during a rotation: every one signs each delivery.",
    )
    secrets_count = serializers.SerializerMethodField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1, max_length=3
    )
    providers = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9_-]+$", max_length=40), required=False
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=CHANNEL_CHOICES), required=False
    )
    campaigns = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=STATUS_CHOICES), required=False
    )
    health = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "secret",
            "secrets",
            "secrets_count",
            "event_types",
            "providers",
            "channels",
            "campaigns",
            "statuses",
            "client_ref_prefix",
            "no_dlr_seconds",
            "include_phone_numbers",
            "retry_hours",
            "active",
            "disabled_reason",
            "health",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["disabled_reason", "created_at", "updated_at"]

    def get_secrets_count(self, subscription: Subscription) -> int:
        return len(subscription.secrets)

    @extend_schema_field(HealthSerializer)
    def get_health(self, subscription: Subscription) -> dict[str, Any]:
        return HealthSerializer(subscription_health(subscription=subscription)).data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        secret = attrs.pop("secret", None)
        if secret is not None and "secrets" in attrs:
            raise serializers.ValidationError({"secret": ["Give secret or secrets, not both."]})
        if secret is not None:
            attrs["secrets"] = [secret]
        event_types = attrs.get("event_types", getattr(self.instance, "event_types", []))
        no_dlr = attrs.get("no_dlr_seconds", getattr(self.instance, "no_dlr_seconds", None))
        if NO_DLR in event_types and not no_dlr:
            raise serializers.ValidationError(
                {"no_dlr_seconds": ["message.no_dlr needs a deadline in seconds."]}
            )
        if attrs.get("active") and self.instance is not None:
            attrs["disabled_reason"] = ""  # switched back on by a person
        return attrs

    def create(self, validated: dict[str, Any]) -> Subscription:
        generated = None
        if not validated.get("secrets"):
            generated = services.subscription_secret_generate()
            validated["secrets"] = [generated]
        subscription: Subscription = super().create(validated)
        subscription.generated_secret = generated  # type: ignore[attr-defined]
        return subscription

    def to_representation(self, subscription: Subscription) -> dict[str, Any]:
        data = super().to_representation(subscription)
        generated = getattr(subscription, "generated_secret", None)
        if generated:
            data["secret"] = generated  # shown once: it is not readable afterwards
        return data


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(read_only=True)
    sequence = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "sequence",
            "event_type",
            "message",
            "status",
            "previous_status",
            "occurred_at",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "last_status_code",
            "last_error",
        ]
        read_only_fields = fields


class ReplaySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Every delivery written since this time."
    )
    deliveries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text="These deliveries (ids from deliveries/).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("since" in attrs) == ("deliveries" in attrs):
            raise serializers.ValidationError("Give since or deliveries (one of them).")
        return attrs


class ReplayResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Deliveries queued again (same webhook-id).")


class TestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="The receiver answered 2xx.")
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.FloatField()
    answer = serializers.CharField(help_text="The first 1 KB of the answer.")
    error = serializers.CharField(help_text="Why there was no answer, if there was none.")
    sent = ForwardedEventSerializer(help_text="The test event as it was sent.")


@extend_schema_view(
    list=extend_schema(
        summary="Subscriptions", responses={200: SubscriptionSerializer(many=True), **ERRORS_READ}
    ),
    retrieve=extend_schema(
        summary="One subscription, with its health",
        responses={200: SubscriptionSerializer, **ERRORS_READ},
    ),
    create=extend_schema(
        summary="Create a subscription",
        description="Without `secret`, one is generated and returned in this answer only.",
        responses={201: SubscriptionSerializer, **ERRORS_WRITE},
    ),
    update=extend_schema(
        summary="Replace a subscription", responses={200: SubscriptionSerializer, **ERRORS_WRITE}
    ),
    partial_update=extend_schema(
        summary="Change a subscription", responses={200: SubscriptionSerializer, **ERRORS_WRITE}
    ),
    destroy=extend_schema(
        summary="Delete a subscription (its pending deliveries stop)",
        responses={204: None, **ERRORS_WRITE},
    ),
)
class SubscriptionViewSet(viewsets.ModelViewSet):
    queryset = Subscription.objects.order_by("name", "id")
    serializer_class = SubscriptionSerializer
    lookup_value_regex = LOOKUP_ANY
    permission_classes = [SubscriptionPermission]
    pagination_class = LimitOffsetPagination400
    filter_backends: list = []

    @extend_schema(
        summary="A subscription's deliveries, newest first",
        responses={200: DeliverySerializer(many=True), **ERRORS_READ},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        rows: QuerySet[Delivery] = Delivery.objects.filter(subscription=self.get_object())
        page = self.paginate_queryset(rows.order_by("-created_at", "-id"))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send deliveries again (same webhook-id)",
        request=ReplaySerializer,
        responses={202: ReplayResultSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        body = ReplaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        queued = services.deliveries_replay(
            subscription=subscription,
            since=body.validated_data.get("since"),
            ids=body.validated_data.get("deliveries"),
        )
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send a test event now and show the receiver's answer",
        request=None,
        responses={200: TestResultSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        body, answer = services.subscription_test(subscription=self.get_object())
        return Response(
            {
                "ok": answer.ok,
                "status_code": answer.status,
                "latency_ms": answer.latency_ms,
                "answer": answer.excerpt.decode("utf-8", errors="replace"),
                "error": answer.error,
                "sent": json.loads(body),
            }
        )
