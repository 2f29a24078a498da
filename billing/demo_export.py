"""A provider's usage export made from dlrdash's own messages, with a few rows altered:
the demo's (and the tests' and bench's) stand-in for a real bill.

Alterations, in turn: an amount raised by one cent (`amount_differs`), a row left out
(`seen_not_billed`), a row for a message dlrdash never saw (`billed_not_seen`), and a row
for a message that was rejected before sending (`billed_rejected`, when there is one).
Returns which message ids were altered, per kind: exactly what the reconciliation must list.
"""

import csv
import random
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from deliveries import status as st
from deliveries.models import Message

from .reconciliation import month_range

HEADERS = {
    "plivo": [
        "message_uuid",
        "message_time",
        "message_direction",
        "message_state",
        "message_type",
        "units",
        "total_rate",
        "total_amount",
    ],
    "twilio": ["Sid", "SentDate", "Direction", "Status", "NumSegments", "Price", "PriceUnit"],
    "generic": ["message_id", "sent_at", "segments", "amount", "currency"],
}
KINDS = ("amount_differs", "seen_not_billed", "billed_not_seen", "billed_rejected")
CENT = Decimal("0.01")


def _messages(provider: str, month: datetime) -> QuerySet[Message]:
    start, end = month_range(month)
    return (
        Message.objects.annotate(at=Coalesce("submitted_at", "created_at"))
        .filter(provider=provider, at__gte=start, at__lt=end, cost__isnull=False)
        .order_by("id")
    )


def _row(
    fmt: str,
    message_id: str,
    at: datetime,
    status: str,
    segments: int,
    amount: Decimal,
    currency: str,
) -> list[Any]:
    if fmt == "twilio":
        return [message_id, at.isoformat(), "outbound-api", status, segments, -amount, currency]
    if fmt == "generic":
        return [message_id, at.isoformat(), segments, amount, currency]
    rate = (amount / segments).quantize(Decimal("0.00001")) if segments else amount
    return [message_id, at.isoformat(sep=" "), "outbound", status, "sms", segments, rate, amount]


def export_write(
    out: TextIO,
    *,
    provider: str,
    month: datetime,
    file_format: str = "plivo",
    fraction: float = 0.003,
    seed: int = 7,
) -> dict[str, list[str]]:
    """Write the export of `provider`'s priced messages of `month`; a `fraction` of its rows
    altered (at least one of each kind). Returns the altered message ids per kind."""
    billed = _messages(provider, month).exclude(status=st.Status.REJECTED)
    total = billed.count()
    altered: dict[str, list[str]] = {kind: [] for kind in KINDS}
    count = max(len(KINDS), round(total * fraction))
    each = count // len(KINDS)
    rng = random.Random(seed)
    picks = rng.sample(range(total), min(total, 2 * each))
    plan = {index: KINDS[0] if i < each else KINDS[1] for i, index in enumerate(picks)}
    currency = ""
    writer = csv.writer(out)
    writer.writerow(HEADERS[file_format])
    for index, message in enumerate(_iterate(billed)):
        # Only priced messages are listed (`_messages`).
        amount, kind = message.cost or Decimal(0), plan.get(index)
        currency = currency or message.cost_currency
        if kind == "seen_not_billed":
            altered[kind].append(message.message_id)
            continue
        if kind == "amount_differs":
            altered[kind].append(message.message_id)
            amount += CENT
        writer.writerow(_export_row(file_format, message, amount))
    rejected = _messages(provider, month).filter(status=st.Status.REJECTED)
    for message in _iterate(rejected[:each]):
        altered["billed_rejected"].append(message.message_id)
        writer.writerow(_export_row(file_format, message, message.cost or Decimal(0)))
    when = month.replace(day=15, hour=12)
    for _ in range(count - 2 * each - len(altered["billed_rejected"])):
        ghost = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        altered["billed_not_seen"].append(ghost)
        writer.writerow(_row(file_format, ghost, when, "delivered", 1, CENT, currency or "USD"))
    return {kind: sorted(ids) for kind, ids in altered.items()}


def _export_row(fmt: str, message: Any, amount: Decimal) -> list[Any]:
    at = message.submitted_at or message.created_at
    return _row(
        fmt,
        message.message_id,
        at,
        message.status,
        message.segments or 1,
        amount,
        message.cost_currency,
    )


def _iterate(messages: QuerySet[Message]) -> Iterator[Message]:
    yield from messages.only(
        "message_id", "submitted_at", "created_at", "status", "segments", "cost", "cost_currency"
    ).iterator(chunk_size=5000)
