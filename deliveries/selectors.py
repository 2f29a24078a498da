"""Reads: looking messages up for support (trace) and what a message page shows."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from .error_codes import ErrorMeaning, error_code_meaning
from .models import Message, StatusEvent
from .phones import phone_to_e164
from .status import DELIVERED_STATUSES

TRACE_LIMIT = 50


def message_search(*, query: str, limit: int = TRACE_LIMIT) -> list[Message]:
    """Messages matching a provider message id, a phone number in any format, or a client_ref.

    Newest first. Each alternative is served by its own index (see `Message.Meta`).
    """
    # PostgreSQL refuses NUL in text parameters: drop it rather than answer 500.
    text = query.replace("\x00", "").strip()
    if not text:
        return []
    condition = Q(message_id=text) | Q(client_ref=text)
    e164 = phone_to_e164(text)
    if e164:
        condition |= Q(to=e164)
    rows = Message.objects.filter(condition).select_related("campaign")
    return list(rows.order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class TimelineEntry:
    event: StatusEvent
    error: ErrorMeaning | None
    code: ErrorMeaning | None  # the raw status code (an SMPP stat such as UNDELIV)


@dataclass(frozen=True)
class MessageTrace:
    message: Message
    timeline: list[TimelineEntry]
    error: ErrorMeaning | None
    journey: list[Message]  # every message sharing its client_ref, oldest first

    @property
    def delivered_received_at(self) -> datetime | None:
        """When the first delivered (or read, answered) report arrived: the page's delivery
        time for providers whose receipts carry no time of their own."""
        for entry in self.timeline:
            if entry.event.status in DELIVERED_STATUSES:
                return entry.event.received_at
        return None


def message_trace(*, message_id: int) -> MessageTrace | None:
    """Everything the message page shows, in three queries (message, events, journey)."""
    message = Message.objects.select_related("campaign").filter(pk=message_id).first()
    if message is None:
        return None
    events = list(message.events.order_by("received_at", "id"))
    timeline = [
        TimelineEntry(
            event=event,
            error=error_code_meaning(provider=message.provider, code=event.error_code),
            code=error_code_meaning(provider=message.provider, code=event.provider_code),
        )
        for event in events
    ]
    return MessageTrace(
        message=message,
        timeline=timeline,
        error=error_code_meaning(provider=message.provider, code=message.error_code),
        journey=message_journey(message=message),
    )


def message_journey(*, message: Message) -> list[Message]:
    """An OTP that fell back from SMS to WhatsApp to Voice: one client_ref, several messages."""
    if not message.client_ref:
        return [message]
    rows = Message.objects.filter(client_ref=message.client_ref).order_by(
        F("submitted_at").asc(nulls_last=True), "created_at", "id"
    )
    return list(rows[:TRACE_LIMIT])
