"""Writes by people rather than providers: the sending service registering its outgoing
messages (the API), and a message corrected by hand in the admin. Both move the rollups
as reports_apply does."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.pricing import COST_FIELDS, message_price, rate_book

from . import rollups
from .bulk import bulk_update_rows
from .bulk_messages import MessageKey, messages_lock
from .models import Message
from .reports import Environment
from .services import _campaign_for, _campaign_prefixes, _message_instance

# Fields a registration fills when the message does not have them yet.
_REGISTER_FILL_FIELDS = ("sender", "client_ref", "tag", "operator", "dlt_template_id")
_REGISTER_UPDATE_FIELDS = [
    "to_raw",
    "to",
    "channel",
    *_REGISTER_FILL_FIELDS,
    "submitted_at",
    "segments",
    "campaign",
    *COST_FIELDS,
    "registered_at",
    "updated_at",
]


def messages_register(
    *, rows: Sequence[Mapping[str, Any]], now: datetime | None = None
) -> list[tuple[Message, bool]]:
    """Register outgoing messages, as the sending service describes them.

    Each row has `provider` and `message_id` plus any of `to` (E.164), `to_raw`, `channel`,
    `sender`, `client_ref`, `tag`, `operator`, `dlt_template_id`, `submitted_at`,
    `segments` and `campaign` (a campaign id). Returns `(message, registered_now)` per row,
    in order.

    Idempotent on provider + message id: a message registered before is returned as it is.
    A message a report created first (operators answer in under a second) is merged: the
    registration fills only blank fields and never touches the status or what the provider
    reported — the status belongs to `reports_apply`. A constant number of queries per
    batch, whatever the number of rows.
    """
    if not rows:
        return []
    now = now or timezone.now()
    keys: list[MessageKey] = [(row["provider"], row["message_id"]) for row in rows]
    with transaction.atomic():
        # Locked (and created bare when new) like reports_apply does it, so a report and a
        # registration for the same message serialize instead of overwriting each other.
        locked = messages_lock(set(keys), now=now)
        found = {key: _message_instance(row) for key, row in locked.items()}
        campaigns = _campaign_prefixes()
        rates = rate_book()
        registered_now: dict[MessageKey, bool] = {}
        merged: list[Message] = []
        changes: list[rollups.MessageChange] = []
        for key, row in zip(keys, rows, strict=True):
            if key in registered_now:
                continue
            message = found[key]
            if message.registered_at is None:
                before = rollups.counted_of(message) if rollups.is_counted(message) else None
                _message_register_fill(message, row, now=now, campaigns=campaigns)
                # The instance's attributes are its row: price it as reports_apply does.
                message_price(message.__dict__, rates)
                merged.append(message)
                if message.environment != Environment.SANDBOX:
                    changes.append(rollups.MessageChange(before, rollups.counted_of(message)))
            registered_now[key] = message.registered_at == now
        bulk_update_rows(Message, merged, _REGISTER_UPDATE_FIELDS)
        # A registered message counts (as pending) from now on, DLR or not.
        rollups.rollups_apply(changes)
    first = {key: index for index, key in reversed(list(enumerate(keys)))}
    # A key listed twice in one request is registered by its first row only.
    return [
        (found[key], registered_now[key] and first[key] == index) for index, key in enumerate(keys)
    ]


def _message_register_fill(
    message: Message, row: Mapping[str, Any], *, now: datetime, campaigns: list[tuple[str, int]]
) -> None:
    # A report's number that did not parse leaves `to` blank; the registration's did parse.
    if row.get("to") and not message.to:
        message.to = row["to"]
    if row.get("to") and not message.to_raw:
        message.to_raw = (row.get("to_raw") or row["to"])[:64]
    # Channel has a default rather than a blank: a report that did not name its channel
    # left the default, which the sending service knows better.
    default_channel = Message._meta.get_field("channel").default
    if row.get("channel") and message.channel == default_channel:
        message.channel = row["channel"]
    for name in _REGISTER_FILL_FIELDS:
        if row.get(name) and not getattr(message, name):
            setattr(message, name, row[name])
    if row.get("submitted_at") and message.submitted_at is None:
        message.submitted_at = row["submitted_at"]
    if row.get("segments") is not None and message.segments is None:
        message.segments = row["segments"]
    if message.campaign_id is None:
        message.campaign_id = row.get("campaign") or _campaign_for(
            message.client_ref, message.tag, campaigns
        )
    message.registered_at = now
    message.updated_at = now


def message_save_edited(*, message: Message) -> None:
    """Save a message edited by hand (the admin), moving its rollup counts with it: a campaign
    or operator corrected by hand lands in the cell a rebuild would put it in."""
    with transaction.atomic():
        stored = Message.objects.select_for_update().get(pk=message.pk)
        before = rollups.counted_of(stored) if rollups.is_counted(stored) else None
        message.save()
        after = rollups.counted_of(message) if rollups.is_counted(message) else None
        rollups.rollups_apply([rollups.MessageChange(before, after)])
