"""The webhook log and endpoints over the API (`/api/v1/webhook-events/`, `endpoints/`).

Here rather than in `deliveries.api` because `deliveries` never depends on `webhooks`;
`deliveries/api/urls.py` only routes to these viewsets.
"""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from deliveries.api.common import LOOKUP_ANY, Conflict, LimitOffsetPagination400
from deliveries.api.permissions import EndpointPermission, WebhookEventPermission
from deliveries.api.schema import ENDPOINT_EXAMPLES, ERROR_CONFLICT, ERRORS_READ, ERRORS_WRITE
from deliveries.filters import BOOLEAN_CHOICES, DateTimeFilter, IdFilter
from deliveries.masking import can_view_full_phone
from deliveries.phones import phone_mask, phone_to_e164

from .endpoints import EndpointBusy, endpoint_delete
from .models import InboundEvent, WebhookEndpoint
from .providers import PROVIDERS, provider_choices
from .services import REDACTED

# Keys whose values never leave the server, in any body, whatever the provider.
_SECRET_KEY_PARTS = ("token", "secret", "password", "passwd", "signature", "api_key", "apikey")
# Keys that carry the recipient's number: masked for users who may not see full numbers.
_PHONE_KEYS = frozenset({"to", "msisdn", "destination", "recipient", "phone", "phone_number"})

Redactor = Callable[[str, Any], Any]


def body_redacted(body: bytes, *, provider: str, mask_phones: bool) -> str:
    """The body as text, with the values of secret-looking keys replaced (and the
    recipients' numbers masked when `mask_phones`)."""
    text = bytes(body).decode("utf-8", errors="replace")
    redact = _redactor(provider, mask_phones=mask_phones)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        pass
    else:
        try:
            return json.dumps(_json_redacted(data, redact), ensure_ascii=False)
        except RecursionError:  # parseable, but too deep to walk: show nothing rather than secrets
            return "[body nested too deeply to display]"
    pairs = parse_qsl(text, keep_blank_values=True)
    if pairs and "=" in text and not text.lstrip().startswith(("<", "{", "[")):
        return urlencode([(k, redact(k, v)) for k, v in pairs])
    return text


def query_masked(query_string: str, *, provider: str) -> str:
    """Stored query strings have their secrets redacted already; numbers are not."""
    redact = _redactor(provider, mask_phones=True)
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(k, redact(k, v)) for k, v in pairs])


def _redactor(provider: str, *, mask_phones: bool) -> Redactor:
    cls = PROVIDERS.get(provider)
    extra = {name.lower() for name in cls.secret_params} if cls else set()

    def redact(key: str, value: Any) -> Any:
        lowered = key.lower()
        if lowered in extra or any(part in lowered for part in _SECRET_KEY_PARTS):
            return REDACTED
        if mask_phones and lowered in _PHONE_KEYS and isinstance(value, str | int):
            return phone_mask(phone_to_e164(str(value)) or str(value))
        return value

    return redact


def _json_redacted(data: Any, redact: Redactor) -> Any:
    if isinstance(data, dict):
        return {
            key: _json_redacted(value, redact)
            if isinstance(value, dict | list) and redact(str(key), "") != REDACTED
            else redact(str(key), value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_json_redacted(item, redact) for item in data]
    return data


class InboundEventSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="endpoint.provider", read_only=True)
    endpoint_slug = serializers.CharField(source="endpoint.slug", read_only=True)
    body = serializers.SerializerMethodField(
        help_text="As received, secrets redacted; recipients' numbers masked without the "
        "view-full-phone permission."
    )
    query_string = serializers.SerializerMethodField(help_text="Secrets redacted.")
    headers = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Secrets redacted when stored."
    )

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
        return body_redacted(
            event.body or b"", provider=event.endpoint.provider, mask_phones=self._mask_phones()
        )

    def get_query_string(self, event: InboundEvent) -> str:
        if not event.query_string or not self._mask_phones():
            return event.query_string
        return query_masked(event.query_string, provider=event.endpoint.provider)

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


class WebhookEndpointSerializer(serializers.ModelSerializer):
    new_secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text="Adds a secret (kept with the others, for rotation). Secrets are never returned.",
    )
    secret_count = serializers.SerializerMethodField()
    url = serializers.CharField(source="public_url", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "provider",
            "slug",
            "url",
            "active",
            "allowed_ips",
            "secret_count",
            "new_secret",
            "created_at",
            "last_received_at",
        ]
        read_only_fields = ["id", "url", "secret_count", "created_at", "last_received_at"]

    def get_secret_count(self, endpoint: WebhookEndpoint) -> int:
        return len(endpoint.secrets or [])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("new_secret"):
            raise serializers.ValidationError({"new_secret": ["A new endpoint needs a secret."]})
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
