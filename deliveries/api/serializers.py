from rest_framework import serializers

from ..models import Message, StatusEvent


class MessageSerializer(serializers.ModelSerializer):
    campaign = serializers.PrimaryKeyRelatedField(read_only=True)

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
            "dlt_template_id",
            "segments",
            "campaign",
            "submitted_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "call_duration",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


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
