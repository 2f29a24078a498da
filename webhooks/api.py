"""The webhook log and endpoints over the API (`/api/v1/webhook-events/`, `endpoints/`).

Here rather than in `deliveries.api` because `deliveries` never depends on `webhooks`;
`deliveries/api/urls.py` only routes to these viewsets.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from deliveries.api.common import LOOKUP_ANY, Conflict, LimitOffsetPagination400
from deliveries.api.permissions import EndpointPermission, WebhookEventPermission
from deliveries.api.schema import ENDPOINT_EXAMPLES, ERROR_CONFLICT, ERRORS_READ, ERRORS_WRITE
from deliveries.filters import BOOLEAN_CHOICES, DateTimeFilter, IdFilter
from deliveries.masking import can_view_full_phone

from .endpoints import EndpointBusy, endpoint_delete
from .mappings import mapping_validate
from .models import InboundEvent, WebhookEndpoint
from .providers import provider_choices
from .providers.custom_mapping import MappingError
from .redaction import body_to_show, headers_redacted, query_to_show


class InboundEventSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="endpoint.provider", read_only=True)
    endpoint_slug = serializers.CharField(source="endpoint.slug", read_only=True)
    body = serializers.SerializerMethodField(
        help_text="As received, credentials and message text redacted; numbers masked "
        "without the view-full-phone permission."
    )
    query_string = serializers.SerializerMethodField(
        help_text="As body: credentials and message text redacted, numbers masked."
    )
    headers = serializers.SerializerMethodField(help_text="Credentials redacted.")

    class Meta:
        model = InboundEvent
        fields = [
            "id",
            "endpoint",
            "endpoint_slug",
            "provider",
            "received_at",
            "method",
            "headers",
            "query_string",
            "body",
            "remote_addr",
            "auth_ok",
            "auth_error",
            "response_code",
            "state",
            "outcome",
            "error",
            "report_count",
            "attempts",
            "processed_at",
            "processing_ms",
        ]
        read_only_fields = fields

    def get_body(self, event: InboundEvent) -> str:
        return body_to_show(
            bytes(event.body or b""),
            provider=event.endpoint.provider,
            mask_phones=self._mask_phones(),
            phones=event.endpoint.redaction_keys()[1],
        )

    def get_query_string(self, event: InboundEvent) -> str:
        return query_to_show(
            event.query_string,
            provider=event.endpoint.provider,
            mask_phones=self._mask_phones(),
            phones=event.endpoint.redaction_keys()[1],
        )

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_headers(self, event: InboundEvent) -> dict[str, str]:
        return headers_redacted(event.headers, provider=event.endpoint.provider)

    def _mask_phones(self) -> bool:
        request = self.context.get("request")
        return request is None or not can_view_full_phone(request.user)


class InboundEventFilter(django_filters.FilterSet):
    endpoint = IdFilter(field_name="endpoint_id")
    provider = django_filters.ChoiceFilter(
        field_name="endpoint__provider", choices=provider_choices
    )
    state = django_filters.ChoiceFilter(choices=InboundEvent.State.choices)
    outcome = django_filters.ChoiceFilter(choices=InboundEvent.Outcome.choices)
    auth_ok = django_filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method="filter_auth_ok")
    received_after = DateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = DateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = InboundEvent
        fields: list[str] = []

    def filter_auth_ok(
        self, queryset: QuerySet[InboundEvent], name: str, value: str
    ) -> QuerySet[InboundEvent]:
        return queryset.filter(auth_ok=value == "true")


@extend_schema_view(
    list=extend_schema(
        summary="The webhook log",
        description="Every request to a known endpoint, newest first. Support and "
        "Administrator only; bodies have secret values redacted.",
        responses={200: InboundEventSerializer(many=True), **ERRORS_READ},
    ),
    retrieve=extend_schema(
        summary="One webhook request", responses={200: InboundEventSerializer, **ERRORS_READ}
    ),
)
class InboundEventViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = InboundEvent.objects.select_related("endpoint").order_by("-received_at", "-id")
    serializer_class = InboundEventSerializer
    lookup_value_regex = LOOKUP_ANY
    filterset_class = InboundEventFilter
    permission_classes = [WebhookEventPermission]
    pagination_class = LimitOffsetPagination400


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    new_secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text="Adds a secret (kept with the others, for rotation). Secrets are never returned.",
    )
    secret_count = serializers.SerializerMethodField()
    url = serializers.CharField(source="public_url", read_only=True)
    mapping = serializers.JSONField(
        required=False,
        help_text="The custom provider's mapping (docs/custom-adapter.md); other providers "
        "have none.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "provider",
            "slug",
            "url",
            "environment",
            "active",
            "allowed_ips",
            "mapping",
            "secret_count",
            "new_secret",
            "created_at",
            "last_received_at",
        ]
        read_only_fields = ["id", "url", "secret_count", "created_at", "last_received_at"]

    def validate_mapping(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):  # a form's "null", say
            raise serializers.ValidationError("A JSON object ({} for none).")
        return value

    def get_secret_count(self, endpoint: WebhookEndpoint) -> int:
        return len(endpoint.secrets or [])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("new_secret"):
            raise serializers.ValidationError({"new_secret": ["A new endpoint needs a secret."]})
        provider = attrs.get("provider") or getattr(self.instance, "provider", "")
        if attrs.get("mapping"):
            if provider != "custom":
                raise serializers.ValidationError({"mapping": ["Only a custom endpoint has one."]})
            try:
                mapping_validate(attrs["mapping"])
            except MappingError as exc:
                errors = [f"{key}: {' '.join(why)}" for key, why in exc.errors.items()]
                raise serializers.ValidationError({"mapping": errors}) from None
        return attrs

    def create(self, validated_data: dict[str, Any]) -> WebhookEndpoint:
        validated_data["secrets"] = [validated_data.pop("new_secret")]
        return super().create(validated_data)

    def update(self, instance: WebhookEndpoint, validated_data: dict[str, Any]) -> WebhookEndpoint:
        secret = validated_data.pop("new_secret", None)
        if secret and secret not in (instance.secrets or []):
            validated_data["secrets"] = [*(instance.secrets or []), secret]
        return super().update(instance, validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="Webhook endpoints",
        description="Administrator only. Secrets are never returned.",
        responses={200: WebhookEndpointSerializer(many=True), **ERRORS_READ},
    ),
    retrieve=extend_schema(
        summary="One endpoint", responses={200: WebhookEndpointSerializer, **ERRORS_READ}
    ),
    create=extend_schema(
        summary="Create an endpoint",
        responses={201: WebhookEndpointSerializer, **ERRORS_WRITE},
        examples=ENDPOINT_EXAMPLES,
    ),
    update=extend_schema(
        summary="Replace an endpoint", responses={200: WebhookEndpointSerializer, **ERRORS_WRITE}
    ),
    partial_update=extend_schema(
        summary="Change an endpoint (e.g. add a secret)",
        responses={200: WebhookEndpointSerializer, **ERRORS_WRITE},
    ),
    destroy=extend_schema(
        summary="Delete an endpoint and its log",
        description="Refused (409) while any of its reports are pending: deactivate it "
        "(`active: false`) and delete it once they are applied.",
        responses={204: None, 409: ERROR_CONFLICT, **ERRORS_WRITE},
    ),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    queryset = WebhookEndpoint.objects.order_by("slug")
    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = LOOKUP_ANY
    permission_classes = [EndpointPermission]
    pagination_class = LimitOffsetPagination400
    filterset_class = None

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        try:
            endpoint_delete(endpoint=instance)
        except EndpointBusy as busy:
            raise Conflict(str(busy)) from None
