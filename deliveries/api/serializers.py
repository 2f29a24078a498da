from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..error_codes import error_code_meaning
from ..filters import MAX_ID
from ..masking import phone_for
from ..models import Campaign, Message, StatusEvent
from ..phones import phone_mask, phone_to_e164
from ..reports import CHANNEL_CHOICES
from ..roles import can_view_costs

MAX_REGISTRATION_BATCH = 1000
_COST_FIELDS = ("cost", "cost_currency", "cost_source")


class ErrorMeaningSerializer(serializers.Serializer):
    code = serializers.CharField()
    meaning = serializers.CharField()
    permanent = serializers.BooleanField(allow_null=True)
    category = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    campaign: serializers.PrimaryKeyRelatedField[Campaign] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    to = serializers.SerializerMethodField(
        help_text="E.164; masked (+91 98••••3210) without the view-full-phone permission."
    )
    latency_seconds = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Submitted (or sent) → delivered."
    )
    error_meaning = serializers.SerializerMethodField()
    cost = serializers.DecimalField(
        max_digits=16,
        decimal_places=6,
        read_only=True,
        allow_null=True,
        help_text="What the message cost, as a decimal string; null when unknown. The cost "
        "fields are left out for users who may not see costs (Support).",
    )
    cost_currency = serializers.CharField(read_only=True, help_text="ISO 4217; blank if unknown.")
    cost_source = serializers.ChoiceField(
        choices=["reported", "rate_card", "unknown"],
        read_only=True,
        help_text="reported: the provider's figure; rate_card: the rate valid at submit "
        "time × segments.",
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "provider",
            "message_id",
            "status",
            "provider_status",
            "provider_code",
            "channel",
            "to",
            "sender",
            "client_ref",
            "tag",
            "operator",
            "error_code",
            "error_message",
            "error_meaning",
            "dlt_template_id",
            "segments",
            "cost",
            "cost_currency",
            "cost_source",
            "campaign",
            "environment",
            "submitted_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "latency_seconds",
            "call_duration",
            "registered_at",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        # Without a request (forwarding's payload, built for subscriptions that
        # administrators set up) the representation is whole.
        if request is not None and not can_view_costs(request.user):
            for name in _COST_FIELDS:
                data.pop(name, None)
        return data

    def get_to(self, message: Message) -> str:
        request = self.context.get("request")
        if request is None:
            return phone_mask(message.to)
        return phone_for(request.user, message.to)

    @extend_schema_field(ErrorMeaningSerializer(allow_null=True))
    def get_error_meaning(self, message: Message) -> dict[str, Any] | None:
        if not message.error_code:
            return None
        meaning = error_code_meaning(provider=message.provider, code=message.error_code)
        return ErrorMeaningSerializer(meaning).data if meaning else None


class MessageRegistrationListSerializer(serializers.ListSerializer):
    def validate(self, attrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        errors = campaign_errors([row.get("campaign") for row in attrs])
        if errors:
            raise serializers.ValidationError(
                {str(index): {"campaign": [error]} for index, error in errors.items()}
            )
        return attrs


class MessageRegistrationSerializer(serializers.Serializer):
    """One outgoing message, as the sending service registers it."""

    provider = serializers.RegexField(
        r"^[a-z0-9_-]+$", max_length=40, help_text='The provider\'s name, e.g. "smstake".'
    )
    message_id = serializers.CharField(max_length=200, help_text="The provider's message id.")
    to = serializers.CharField(max_length=64, help_text="Phone number, any common format.")
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, required=False)
    sender = serializers.CharField(max_length=64, required=False, allow_blank=True)
    client_ref = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tag = serializers.CharField(max_length=200, required=False, allow_blank=True)
    operator = serializers.CharField(max_length=64, required=False, allow_blank=True)
    dlt_template_id = serializers.CharField(max_length=40, required=False, allow_blank=True)
    campaign = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="Campaign id. Without it, the client_ref or tag prefix decides.",
    )
    submitted_at = serializers.DateTimeField(required=False, allow_null=True)
    segments = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )

    class Meta:
        list_serializer_class = MessageRegistrationListSerializer

    def validate_submitted_at(self, value: datetime | None) -> datetime | None:
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00: valid ISO, no UTC time
            raise serializers.ValidationError("Date and time out of range.") from None

    def validate_campaign(self, value: int | None) -> int | None:
        # In a list, the list serializer checks all ids in one query instead.
        if value is not None and self.parent is None and campaign_errors([value]):
            raise serializers.ValidationError(f"No campaign with id {value}.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        e164 = phone_to_e164(attrs["to"])
        if not e164:
            raise serializers.ValidationError({"to": ["Not a valid phone number."]})
        return attrs | {"to": e164, "to_raw": attrs["to"]}


def registration_serializer(data: object) -> serializers.BaseSerializer:
    """One message for a JSON object, a bounded list for an array."""
    if isinstance(data, list):
        return MessageRegistrationSerializer.many_init(
            data=data, max_length=MAX_REGISTRATION_BATCH, allow_empty=False
        )
    return MessageRegistrationSerializer(data=data)


def campaign_errors(ids: list[int | None]) -> dict[int, str]:
    """Index → error for the campaign ids that do not exist, in one query."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    known = set(Campaign.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return {
        index: f"No campaign with id {pk}."
        for index, pk in enumerate(ids)
        if pk is not None and pk not in known
    }


class StatusEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusEvent
        fields = [
            "id",
            "status",
            "provider_status",
            "provider_code",
            "error_code",
            "error_message",
            "provider_time",
            "received_at",
            "outcome",
            "inbound_event_id",
        ]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "ref_prefix", "description", "created_at"]
        read_only_fields = ["id", "created_at"]
