"""Finding the message a piece of conversion feedback is about."""

from datetime import datetime

from django.db.models import Q

from deliveries import status as st
from deliveries.models import Message

# A journey is the few messages of one OTP (SMS, then WhatsApp, then Voice); a client_ref
# shared by more than this is not a journey, and only its newest messages are considered.
JOURNEY_LIMIT = 50


def journey_messages(*, client_ref: str) -> list[Message]:
    """The messages of the `client_ref` journey, newest first (at most `JOURNEY_LIMIT`)."""
    rows = Message.objects.filter(client_ref=client_ref).order_by("-created_at", "-pk")
    return list(rows[:JOURNEY_LIMIT])


def journey_credited(*, journey: list[Message], converted_at: datetime) -> Message | None:
    """The message of a journey that gets the credit for a conversion at `converted_at`.

    A journey converts once: a message of it already converted keeps the credit. Otherwise
    the message delivered last before the conversion; failing that (no DLR came, yet the
    recipient acted, so something arrived) the message sent last before it. None when no
    message of the journey was sent before the conversion.
    """
    converted = [m for m in journey if m.converted_at is not None]
    if converted:
        return min(converted, key=lambda m: (m.converted_at, m.pk))
    delivered = [
        (m.delivered_at, m.pk, m)
        for m in journey
        if m.status in st.DELIVERED_STATUSES and m.delivered_at and m.delivered_at <= converted_at
    ]
    if delivered:
        return max(delivered, key=lambda t: t[:2])[2]
    sent = [(_sent_at(m), m.pk, m) for m in journey if _sent_at(m) <= converted_at]
    return max(sent, key=lambda t: t[:2])[2] if sent else None


def messages_by_keys(
    *, ids: set[int], provider_ids: set[tuple[str, str]]
) -> tuple[dict[int, Message], dict[tuple[str, str], Message]]:
    """The messages named by our id and by provider + message id, in one query."""
    q = Q(pk__in=ids) if ids else Q(pk__in=[])
    by_provider: dict[str, list[str]] = {}
    for provider, message_id in provider_ids:
        by_provider.setdefault(provider, []).append(message_id)
    for provider, message_ids in by_provider.items():
        q |= Q(provider=provider, message_id__in=message_ids)
    found = list(Message.objects.filter(q)) if ids or provider_ids else []
    return {m.pk: m for m in found}, {(m.provider, m.message_id): m for m in found}


def _sent_at(message: Message) -> datetime:
    return message.submitted_at or message.sent_at or message.created_at
