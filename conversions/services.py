"""Recording conversion feedback: a message converted, at a time; counted in the rollups."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from deliveries import rollups
from deliveries.models import Message

from .models import Conversion
from .selectors import journey_credited, journey_messages, messages_by_keys


class Outcome(StrEnum):
    CONVERTED = "converted"  # the message converted now
    EARLIER = "earlier"  # it had converted; this feedback says earlier, which wins
    UNCHANGED = "unchanged"  # feedback seen before (or a later time for the same journey)
    NOT_FOUND = "not_found"  # no such message (yet): post it again once it is registered


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message_id: int | None = None  # our id of the credited message


def conversions_record(
    *, items: Sequence[Mapping[str, Any]], now: datetime | None = None
) -> list[Result]:
    """Mark messages converted. Each item has `converted_at` and one of `id`,
    `provider` + `message_id`, or `client_ref` (the journey: `journey_credited` picks the
    message). Returns one result per item, in order.

    Idempotent and order-independent: a message converts once, at the earliest time any
    feedback gave, so posting a batch again changes nothing. The messages are locked
    (`_targets_lock`), so a report being applied to one of them meanwhile waits or is
    waited for, and the rollups move the message from the cell it is in to the same cell
    with the conversion counted (`rollups.counted_of`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked, targets = _targets_lock(items)
        results: list[Result] = []
        changes: list[rollups.MessageChange] = []
        written: dict[int, Conversion] = {}
        for (pk, matched_by), item in zip(targets, items, strict=True):
            message = locked.get(pk) if pk is not None else None
            if message is None:
                results.append(Result(Outcome.NOT_FOUND))
                continue
            at: datetime = item["converted_at"]
            # A second item for the message in this batch sees the first one's time.
            previous = message.converted_at
            if previous is not None and previous <= at:
                results.append(Result(Outcome.UNCHANGED, message.pk))
                continue
            counted = rollups.is_counted(message)
            before = rollups.counted_of(message) if counted else None
            message.converted_at = at
            if counted:
                changes.append(rollups.MessageChange(before, rollups.counted_of(message)))
            written[message.pk] = Conversion(
                message=message, converted_at=at, matched_by=matched_by, received_at=now
            )
            outcome = Outcome.CONVERTED if previous is None else Outcome.EARLIER
            results.append(Result(outcome, message.pk))
        if written:
            Message.objects.bulk_update([locked[pk] for pk in written], ["converted_at"])
            Conversion.objects.bulk_create(
                written.values(),
                update_conflicts=True,
                unique_fields=["message"],
                update_fields=["converted_at", "matched_by", "received_at"],
            )
        rollups.rollups_apply(changes)
    return results


def _targets_lock(
    items: Sequence[Mapping[str, Any]],
) -> tuple[dict[int, Message], list[tuple[int | None, str]]]:
    """Every message the items may name, locked, and per item (its message's pk or None, how
    it was matched). The journeys' messages are locked before their credit is decided, so
    two batches converting one journey at once cannot credit two of its messages. Two
    queries plus one per journey, then one statement takes the locks, in the order the
    apply path takes them (provider, message id), so neither can deadlock the other."""
    ids = {item["id"] for item in items if item.get("id") is not None}
    provider_ids = {
        (item["provider"], item["message_id"]) for item in items if item.get("message_id")
    }
    by_pk, by_provider_id = messages_by_keys(ids=ids, provider_ids=provider_ids)
    refs = {item["client_ref"] for item in items if item.get("client_ref")}
    journeys = {ref: journey_messages(client_ref=ref) for ref in sorted(refs)}
    wanted = {m.pk for m in by_pk.values()} | {m.pk for j in journeys.values() for m in j}
    rows = Message.objects.select_for_update().filter(pk__in=sorted(wanted))
    locked = {m.pk: m for m in rows.order_by("provider", "message_id")}
    targets: list[tuple[int | None, str]] = []
    # A journey converts once, also within a batch: its first item picks the message.
    credited: dict[str, Message | None] = {}
    for item in items:
        if item.get("id") is not None:
            found = by_pk.get(item["id"])
            targets.append((found.pk if found else None, Conversion.MatchedBy.ID))
        elif item.get("message_id"):
            found = by_provider_id.get((item["provider"], item["message_id"]))
            targets.append((found.pk if found else None, Conversion.MatchedBy.PROVIDER_ID))
        else:
            ref = item["client_ref"]
            if ref not in credited:
                journey = [locked[m.pk] for m in journeys[ref] if m.pk in locked]
                credited[ref] = journey_credited(journey=journey, converted_at=item["converted_at"])
            found = credited[ref]
            targets.append((found.pk if found else None, Conversion.MatchedBy.CLIENT_REF))
    return locked, targets
