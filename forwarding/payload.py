"""The payload every subscription receives, whatever the provider (version 1).

    {"type": "message.final", "version": 1, "occurred_at": "…", "sequence": 4711,
     "status": "delivered", "previous_status": "sent",
     "message": {…the API's message representation…},
     "report": {"provider_status": "DELIVRD", "provider_code": "000", "error_code": "",
                "error_message": "", "error_meaning": null, "provider_time": "…"}}

`message` is `deliveries.api.serializers.MessageSerializer` as the API shows it when the
notification is sent; `status` and `previous_status` are the change this notification
reports. `sequence` only grows per message, so a receiver keeps the highest it has seen
and drops anything lower. `to` is the E.164 number when the subscription opts in, else
null. The serializers below document it for the OpenAPI schema (component
`ForwardedEvent`); `payloads_build` produces it.
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from deliveries.api.serializers import ErrorMeaningSerializer, MessageSerializer
from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from deliveries.status import CHOICES as STATUS_CHOICES

from .models import EVENT_TYPE_CHOICES, NO_DLR

VERSION = 1
TEST_EVENT = "subscription.test"
_datetime = serializers.DateTimeField()


class ForwardedReportSerializer(serializers.Serializer):
    provider_status = serializers.CharField(help_text="Exactly what the provider said.")
    provider_code = serializers.CharField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    error_meaning = ErrorMeaningSerializer(allow_null=True)
    provider_time = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="ForwardedEvent")
class ForwardedEventSerializer(serializers.Serializer):
    """The JSON body of every delivery, signed per the Standard Webhooks specification."""

    type = serializers.ChoiceField(choices=[*EVENT_TYPE_CHOICES, (TEST_EVENT, TEST_EVENT)])
    version = serializers.IntegerField(help_text="1; a change that breaks receivers bumps it.")
    occurred_at = serializers.DateTimeField(
        help_text="When dlrdash applied the change (no_dlr: the deadline)."
    )
    sequence = serializers.IntegerField(
        help_text="Grows with every notification of a message: drop one lower than the last."
    )
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
    previous_status = serializers.ChoiceField(choices=STATUS_CHOICES, allow_null=True)
    message = MessageSerializer(
        help_text="The message as GET /api/v1/messages/{id}/ shows it; `to` is null "
        "unless the subscription includes phone numbers."
    )
    report = ForwardedReportSerializer(
        allow_null=True, help_text="The report that caused the change; null for no_dlr."
    )


def payloads_build(deliveries: Sequence[Any], *, phone_numbers: set[int]) -> dict[int, bytes]:
    """The JSON body per delivery id (deliveries: `Delivery` or the drain's claimed rows),
    with one query for the messages.

    `phone_numbers`: the subscriptions whose payloads carry the full number.
    """
    ids = {d.message_id for d in deliveries}
    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    represented = {pk: message_represent(m) for pk, m in messages.items()}
    bodies: dict[int, bytes] = {}
    for delivery in deliveries:
        message = messages.get(delivery.message_id)
        data = dict(represented[message.pk]) if message else {"id": delivery.message_id}
        with_phone = message is not None and delivery.subscription_id in phone_numbers
        data["to"] = (message.to or None) if with_phone else None  # type: ignore[union-attr]
        bodies[delivery.pk] = _encode(payload_of(delivery, data))
    return bodies


def message_represent(message: Message) -> dict[str, Any]:
    """`MessageSerializer(message).data` without `to`, at a fraction of DRF's cost.

    Sending spends most of its CPU here: DRF's per-field machinery (and the masked phone
    number it computes, only to be replaced) cost several times the rest of a delivery. The
    plan is made from the serializer's own fields, so a field added there appears here; a
    test compares the two on every field.
    """
    return {name: _value(get(message)) if get else None for name, get, _value in _plan()}


@cache
def _plan() -> list[tuple[str, Callable[[Message], Any] | None, Callable[[Any], Any]]]:
    serializer = MessageSerializer()
    plan: list[tuple[str, Callable[[Message], Any] | None, Callable[[Any], Any]]] = []
    for name, field in serializer.fields.items():
        if name == "to":  # replaced per subscription
            plan.append((name, None, _same))
        elif isinstance(field, serializers.SerializerMethodField):
            plan.append((name, getattr(serializer, field.method_name), _same))
        elif isinstance(field, serializers.PrimaryKeyRelatedField):
            plan.append((name, attrgetter(f"{field.source}_id"), _same))
        else:
            plan.append((name, attrgetter(str(field.source)), _none_or(_converter(field))))
    return plan


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    kind = type(field)
    if kind is serializers.DateTimeField:
        return _time_fast
    if kind in (serializers.CharField, serializers.ChoiceField):
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.FloatField:
        return float
    return field.to_representation


def _none_or(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _same(value: Any) -> Any:
    return value


def _time_fast(value: datetime) -> str:
    # What DRF's DateTimeField does: the time zone (workers never activate another than
    # the default), ISO 8601, UTC written as Z.
    text = value.astimezone(_zone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@cache
def _zone() -> Any:
    return timezone.get_default_timezone()


def payload_of(delivery: Any, message: dict[str, Any]) -> dict[str, Any]:
    report = None
    if delivery.event_type != NO_DLR:
        meaning = error_code_meaning(provider=message.get("provider", ""), code=delivery.error_code)
        report = {
            "provider_status": delivery.provider_status,
            "provider_code": delivery.provider_code,
            "error_code": delivery.error_code,
            "error_message": delivery.error_message,
            "error_meaning": ErrorMeaningSerializer(meaning).data if meaning else None,
            "provider_time": _time(delivery.provider_time),
        }
    return {
        "type": delivery.event_type,
        "version": VERSION,
        "occurred_at": _time(delivery.occurred_at),
        "sequence": delivery.pk,
        "status": delivery.status,
        "previous_status": delivery.previous_status or None,
        "message": message,
        "report": report,
    }


def test_payload(*, now: Any) -> bytes:
    """A made-up message.final for the "send test event" button: nothing is stored."""
    message = {
        "id": 0,
        "provider": "smstake",
        "message_id": "test",
        "status": "delivered",
        "channel": "sms",
        "to": None,
        "client_ref": "dlrdash-test",
    }
    return _encode(
        {
            "type": TEST_EVENT,
            "version": VERSION,
            "occurred_at": _time(now),
            "sequence": 0,
            "status": "delivered",
            "previous_status": "sent",
            "message": message,
            "report": None,
        }
    )


def _time(value: Any) -> str | None:
    return _datetime.to_representation(value) if value else None


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
