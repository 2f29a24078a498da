"""OpenAPI pieces shared by the viewsets: error responses and examples."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


_DETAIL = OpenApiResponse(ErrorSerializer, "Not authenticated, not allowed or not found.")
_VALIDATION = OpenApiResponse(
    OpenApiTypes.OBJECT,
    "Invalid parameters or body: field name → list of messages. For a list body, "
    'the index of each row in error → its field errors, e.g. {"3": {"to": ["…"]}}.',
    examples=[
        OpenApiExample(
            "Bad filter",
            value={
                "status": ["Select a valid choice. sent_ok is not one of the available choices."]
            },
            response_only=True,
            status_codes=["400"],
        ),
        OpenApiExample(
            "Bad row in a list",
            value={"3": {"to": ["Not a valid phone number."]}},
            response_only=True,
            status_codes=["400"],
        ),
    ],
)
_THROTTLED = OpenApiResponse(ErrorSerializer, "Too many requests for this token; see Retry-After.")

_UNSUPPORTED = OpenApiResponse(
    ErrorSerializer, "The body's Content-Type is not one the endpoint reads (JSON, a form)."
)

ERRORS_READ = {400: _VALIDATION, 401: _DETAIL, 403: _DETAIL, 404: _DETAIL, 429: _THROTTLED}
ERRORS_WRITE = {**ERRORS_READ, 415: _UNSUPPORTED}
ERROR_CONFLICT = OpenApiResponse(ErrorSerializer, "Refused in the resource's current state.")

REGISTRATION_RESPONSE_DOC = """\
Register one message (a JSON object) or up to 1,000 (a JSON array) in one call; the answer
has the same shape as the request: the messages as stored.

Idempotent on `provider` + `message_id`: posting a message again changes nothing and answers
it as stored. **201** when the call registered at least one message, **200** when every
message was registered before.

A delivery report may arrive before the registration (operators answer in under a second):
the registration then completes that message, filling only the fields it lacks; the status
is never changed by a registration.

`to` takes any common phone format and is stored in E.164. The campaign is `campaign` (an
id) or, without it, the campaign whose `ref_prefix` starts the `client_ref` or `tag`.

Errors (400) name the field; for an array, keyed by the row's index: `{"3": {"to": [...]}}`.
"""

REGISTRATION_EXAMPLES = [
    OpenApiExample(
        "One message",
        value={
            "provider": "smstake",
            "message_id": "stk_8f2a61c0",
            "to": "+91 98765 43210",
            "channel": "sms",
            "sender": "DLRDSH",
            "client_ref": "otp_login_000123",
            "submitted_at": "2026-11-23T10:15:00Z",
            "segments": 1,
        },
        request_only=True,
    ),
    OpenApiExample(
        "A list",
        value=[
            {"provider": "wavix", "message_id": "wvx-0001", "to": "919876543210", "campaign": 1},
            {"provider": "wavix", "message_id": "wvx-0002", "to": "098765 43211", "campaign": 1},
        ],
        request_only=True,
    ),
]


def registration_batch_limits(
    result: dict[str, Any], generator: object, request: object, public: bool
) -> dict[str, Any]:
    """drf-spectacular drops a list serializer's length limits; put them back."""
    from .serializers import MAX_REGISTRATION_BATCH

    schemas = result.get("components", {}).get("schemas", {})
    for variant in schemas.get("MessageRegistrationBodyRequest", {}).get("oneOf", []):
        if variant.get("type") == "array":
            variant.update(minItems=1, maxItems=MAX_REGISTRATION_BATCH)
    return result


_MESSAGE = {
    "id": 1043,
    "provider": "smstake",
    "message_id": "stk_000042",
    "status": "delivered",
    "provider_status": "delivered",
    "provider_code": "DELIVRD",
    "channel": "sms",
    "to": "+91 98••••0042",
    "sender": "DLRDSH",
    "client_ref": "diwali26_42",
    "tag": "",
    "operator": "JIO",
    "error_code": "",
    "error_message": "",
    "error_meaning": None,
    "dlt_template_id": "1207165123456789012",
    "segments": 1,
    "campaign": 7,
    "submitted_at": "2026-11-23T10:15:00Z",
    "sent_at": None,
    "delivered_at": "2026-11-23T10:15:03Z",
    "read_at": None,
    "latency_seconds": 3.0,
    "call_duration": None,
    "registered_at": "2026-11-23T10:15:00.412000Z",
    "status_changed_at": "2026-11-23T10:15:03.950000Z",
    "created_at": "2026-11-23T10:15:00.412000Z",
    "updated_at": "2026-11-23T10:15:03.950000Z",
}

MESSAGE_EXAMPLES = [
    OpenApiExample("A delivered SMS (number masked)", value=_MESSAGE, response_only=True)
]
MESSAGE_LIST_EXAMPLES = [
    OpenApiExample(
        "A page",
        value={
            "next": "https://dlr.example.com/api/v1/messages/?cursor=cD0yMDI2LTEx",
            "previous": None,
            "results": [_MESSAGE],
        },
        response_only=True,
    )
]
EVENT_EXAMPLES = [
    OpenApiExample(
        "Sent, then delivered",
        value=[
            {
                "id": 87,
                "status": "sent",
                "provider_status": "sent",
                "provider_code": "",
                "error_code": "",
                "error_message": "",
                "provider_time": "2026-11-23T10:15:01Z",
                "received_at": "2026-11-23T10:15:01.210000Z",
                "outcome": "applied",
                "inbound_event_id": 5120,
            },
            {
                "id": 88,
                "status": "delivered",
                "provider_status": "delivered",
                "provider_code": "DELIVRD",
                "error_code": "",
                "error_message": "",
                "provider_time": "2026-11-23T10:15:03Z",
                "received_at": "2026-11-23T10:15:03.950000Z",
                "outcome": "applied",
                "inbound_event_id": 5133,
            },
        ],
        response_only=True,
    )
]
CAMPAIGN_EXAMPLES = [
    OpenApiExample(
        "Diwali",
        value={
            "name": "Diwali 2026",
            "ref_prefix": "diwali26_",
            "description": "Messages whose client_ref or tag starts with diwali26_.",
        },
        request_only=True,
    )
]
ENDPOINT_EXAMPLES = [
    OpenApiExample(
        "A Wavix endpoint",
        value={"provider": "wavix", "slug": "wavix-main", "new_secret": "a-long-random-secret"},
        request_only=True,
    )
]


def one_or_many(
    name: str, serializer: type[serializers.Serializer[Any]], *, max_length: int | None = None
) -> PolymorphicProxySerializer:
    """An OpenAPI body (or answer) that is one `serializer` object or a list of them, as the
    batch endpoints take and give (registration, conversions)."""
    # The stubs omit the list arguments that many=True passes on to ListSerializer.
    many = serializer(many=True, max_length=max_length)  # type: ignore[call-arg]
    return PolymorphicProxySerializer(
        component_name=name,
        serializers=[serializer, many],
        resource_type_field_name=None,
        many=False,
    )
