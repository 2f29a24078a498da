"""`POST /api/v1/conversions/`: conversion feedback from the sending service."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deliveries.api.permissions import RolePermission
from deliveries.api.schema import ERRORS_WRITE, one_or_many
from deliveries.filters import MAX_ID
from deliveries.roles import ADMINISTRATOR

from .services import Outcome, conversions_record

MAX_BATCH = 1000
# A sender's clock may run a little ahead of ours; a time further ahead is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)


class ConversionPermission(RolePermission):
    # As for registering messages: the sending service's user gets
    # conversions.add_conversion; Administrators may too.
    model = "conversions.conversion"
    write_roles = (ADMINISTRATOR,)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Our id of the message."
    )
    provider = serializers.CharField(max_length=40, required=False)
    message_id = serializers.CharField(
        max_length=200, required=False, help_text="The provider's message id (with provider)."
    )
    client_ref = serializers.CharField(
        max_length=200,
        required=False,
        help_text="The journey: its message delivered last before the conversion gets it.",
    )
    converted_at = serializers.DateTimeField(help_text="When the recipient acted (ISO 8601).")

    def validate_converted_at(self, value: datetime) -> datetime:
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise serializers.ValidationError("Date and time out of range.") from None
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("In the future.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ways = [
            attrs.get("id") is not None,
            bool(attrs.get("message_id") or attrs.get("provider")),
            bool(attrs.get("client_ref")),
        ]
        if sum(ways) != 1:
            raise serializers.ValidationError(
                "Name the message one way: id, provider + message_id, or client_ref."
            )
        if ways[1] and not (attrs.get("provider") and attrs.get("message_id")):
            raise serializers.ValidationError("provider and message_id go together.")
        return attrs


class FeedbackResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[o.value for o in Outcome],
        help_text="converted; earlier (an earlier time replaced the one known); unchanged "
        "(seen before); not_found (no such message yet: post it again later).",
    )
    message = serializers.IntegerField(allow_null=True, help_text="Our id of the message.")


BODY = one_or_many("ConversionFeedbackBody", FeedbackSerializer, max_length=MAX_BATCH)
RESULT = one_or_many("ConversionFeedbackResults", FeedbackResultSerializer)
EXAMPLES = [
    OpenApiExample(
        "By client_ref (an OTP journey)",
        value={"client_ref": "otp-7d1f", "converted_at": "2026-11-20T10:15:42Z"},
        request_only=True,
    ),
    OpenApiExample(
        "A batch",
        value=[
            {"provider": "smstake", "message_id": "msg_1", "converted_at": "2026-11-20T10:15:42Z"},
            {"id": 1234, "converted_at": "2026-11-20T10:16:03Z"},
        ],
        request_only=True,
    ),
]


class ConversionsView(APIView):
    permission_classes = [ConversionPermission]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Report conversions (an OTP verified, a link followed)",
        description="One object or a list of up to 1,000. Idempotent: a message converts "
        "once, at the earliest time reported. **201** when at least one message converted "
        "(or converted earlier), **200** otherwise.",
        request=BODY,
        responses={200: RESULT, 201: RESULT, **ERRORS_WRITE},
        examples=EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        if many:
            serializer: serializers.BaseSerializer = FeedbackSerializer.many_init(
                data=request.data, max_length=MAX_BATCH, allow_empty=False
            )
        else:
            serializer = FeedbackSerializer(data=request.data)
        if not serializer.is_valid():
            errors: Any = serializer.errors
            if isinstance(errors, list):
                errors = {str(i): e for i, e in enumerate(errors) if e}
            raise ValidationError(errors)
        items = serializer.validated_data if many else [serializer.validated_data]
        results = conversions_record(items=items)
        output = [{"outcome": r.outcome.value, "message": r.message_id} for r in results]
        changed = any(r.outcome in (Outcome.CONVERTED, Outcome.EARLIER) for r in results)
        code = status.HTTP_201_CREATED if changed else status.HTTP_200_OK
        return Response(output if many else output[0], status=code)
