"""Writes: turning normalized delivery reports into messages and status history."""

import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from billing.pricing import COST_FIELDS, cost_merge, message_price, rate_book

from . import rollups
from . import status as st
from .bulk import column_field, rows_insert, rows_update
from .bulk_messages import messages_lock, report_keys_claim
from .changes import StatusChange
from .models import Campaign, Message, StatusEvent
from .phones import phone_to_e164
from .reports import DeliveryReport, Environment

# Fields a later report may fill in when the message does not have them yet.
_FILL_FIELDS = ("sender", "operator", "client_ref", "tag", "dlt_template_id")
_TIME_FIELDS = ("submitted_at", "sent_at", "delivered_at", "read_at")
# Fields that always follow the report that decides the current status.
_STATUS_FIELDS = ("status", "provider_status", "provider_code", "error_code", "error_message")
# What reports_apply writes back to a message (attribute names; the primary key first).
_UPDATE_COLUMNS = (
    "id",
    "channel",
    "to_raw",
    "to",
    *_FILL_FIELDS,
    *_TIME_FIELDS,
    *_STATUS_FIELDS,
    "segments",
    "call_duration",
    "campaign_id",
    *COST_FIELDS,
    "status_changed_at",
    "environment",
    "updated_at",
)


def report_dedup_key(report: DeliveryReport) -> str:
    """Same message, same status, same provider time: the same report."""
    when = report.event_time.isoformat() if report.event_time else ""
    raw = "\x1f".join((report.provider, report.message_id, report.status, when))
    return hashlib.sha256(raw.encode()).hexdigest()


def reports_apply(
    *,
    items: Sequence[tuple[DeliveryReport, int | None]],
    now: datetime | None = None,
    rollups_into: list[rollups.MessageChange] | None = None,
    changes_into: list[StatusChange] | None = None,
) -> list[st.Outcome]:
    """Record reports (each with the id of the inbound event it came in) and move statuses.

    Idempotent and order-independent: a report seen before is a duplicate and changes
    nothing; a message's status is the highest-ranked status among its reports (see
    `deliveries.status`). Returns one outcome per item, in order. Messages are locked for
    the duration, so concurrent batches touching one message serialize.

    Messages are handled as rows (dicts by attribute name), not model instances: building
    and preparing thousands of instances per batch was a large share of the drain's CPU.

    With `rollups_into`, the rollup changes are appended there instead of written: the
    caller passes them to `rollups.rollups_apply` later in the same transaction, as its
    last statement, so the hot rollup rows stay locked for as short a time as possible.
    With `changes_into`, every status change is appended there (`deliveries.changes`), for
    the caller to act on in the same transaction.
    """
    if not items:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        messages = messages_lock({(r.provider, r.message_id) for r, _ in items}, now=now)
        # Where each message is counted now, so the rollups can move it afterwards.
        before = {
            row["id"]: _counted(row) if rollups.is_counted(row) else None
            for row in messages.values()
        }
        keys = [report_dedup_key(report) for report, _ in items]
        seen = report_keys_claim(keys, now=now)
        campaigns = _campaign_prefixes()
        outcomes: list[st.Outcome] = []
        events: list[tuple[Any, ...]] = []
        touched: dict[int, dict[str, Any]] = {}
        for (report, inbound_event_id), key in zip(items, keys, strict=True):
            if key in seen:
                outcomes.append(st.Outcome.DUPLICATE)
                continue
            seen.add(key)
            message = messages[(report.provider, report.message_id)]
            # A message that no report has touched yet has no status to compare against.
            current = message["status"] if message["status_changed_at"] else None
            outcome = st.outcome_of(new=report.status, current=current)
            _message_merge(message, report, outcome=outcome, now=now, campaigns=campaigns)
            cost_merge(message, report, applied=outcome is st.Outcome.APPLIED)
            if changes_into is not None and outcome is st.Outcome.APPLIED:
                changes_into.append(_status_change(message, current, report, now))
            touched[message["id"]] = message
            outcomes.append(outcome)
            events.append(_status_event(message["id"], report, outcome, key, inbound_event_id, now))
        rows_insert(StatusEvent, _EVENT_COLUMNS, events)
        rates = rate_book()
        for message in touched.values():
            message_price(message, rates)
            message["updated_at"] = now
        rows_update(Message, _UPDATE_COLUMNS, [_row_values(m) for m in touched.values()])
        changes = [
            rollups.MessageChange(before=before[pk], after=_counted(m)) for pk, m in touched.items()
        ]
        if rollups_into is None:
            rollups.rollups_apply(changes)
        else:
            rollups_into += changes
    return outcomes


def _counted(message: dict[str, Any]) -> rollups.Counted | None:
    """Where the rollups count a message: nowhere for sandbox traffic, which no figure shows
    (so it writes no rollup deltas, and one that turns out sandbox leaves its cell)."""
    if message["environment"] == Environment.SANDBOX:
        return None
    return rollups.counted_of(message)


def _status_change(
    message: dict[str, Any], previous: str | None, report: DeliveryReport, now: datetime
) -> StatusChange:
    first_final = st.is_final(report.status) and not (previous and st.is_final(previous))
    return StatusChange(message, previous, str(report.status), first_final, report, now)


def _row_values(message: dict[str, Any]) -> tuple[Any, ...]:
    return tuple([message[name] for name in _UPDATE_COLUMNS])


@cache
def _fill_limits() -> tuple[tuple[str, int], ...]:
    return tuple((name, column_field(Message, name).max_length or 0) for name in _FILL_FIELDS)


def _message_instance(row: dict[str, Any]) -> Message:
    names = [f.attname for f in Message._meta.concrete_fields]
    return Message.from_db(connection.alias, names, [row[n] for n in names])


def _campaign_prefixes() -> list[tuple[str, int]]:
    # Longest prefix first, so "promo_diwali_" wins over "promo_".
    rows = Campaign.objects.values_list("ref_prefix", "pk")
    return sorted(rows, key=lambda row: len(row[0]), reverse=True)


def _message_merge(
    message: dict[str, Any],
    report: DeliveryReport,
    *,
    outcome: st.Outcome,
    now: datetime,
    campaigns: list[tuple[str, int]],
) -> None:
    if report.channel:
        message["channel"] = report.channel
    if report.environment == Environment.SANDBOX:
        message["environment"] = report.environment
    if report.to and not message["to_raw"]:
        message["to_raw"] = report.to[:64]
        message["to"] = phone_to_e164(report.to)
    for name, limit in _fill_limits():
        value = getattr(report, name)
        if value and not message[name]:
            message[name] = value[:limit]
    for name, when in _report_times(report):
        # The earliest time wins, so the result does not depend on arrival order.
        current = message[name]
        if when is not None and (current is None or when < current):
            message[name] = when
    if report.segments is not None and message["segments"] is None:
        message["segments"] = report.segments
    if report.call_duration is not None and (
        message["call_duration"] is None or outcome is st.Outcome.APPLIED
    ):
        message["call_duration"] = report.call_duration
    if message["campaign_id"] is None:
        message["campaign_id"] = _campaign_for(message["client_ref"], message["tag"], campaigns)
    if outcome is st.Outcome.APPLIED:
        message["status"] = report.status
        message["provider_status"] = report.provider_status[:64]
        message["provider_code"] = report.provider_code[:64]
        message["error_code"] = report.error_code[:64]
        message["error_message"] = report.error_message[:500]
        message["status_changed_at"] = now


def _report_times(report: DeliveryReport) -> list[tuple[str, datetime | None]]:
    """The times a report tells: its explicit fields, and its own time for its status."""
    times = [(name, getattr(report, name)) for name in _TIME_FIELDS]
    if report.status == st.Status.SENT:
        times.append(("sent_at", report.event_time))
    elif report.status in st.DELIVERED_STATUSES:
        times.append(("delivered_at", report.event_time))
    if report.status == st.Status.READ:
        times.append(("read_at", report.event_time))
    return times


def _campaign_for(client_ref: str, tag: str, campaigns: list[tuple[str, int]]) -> int | None:
    for prefix, campaign_id in campaigns:
        if (client_ref and client_ref.startswith(prefix)) or (tag and tag.startswith(prefix)):
            return campaign_id
    return None


_EVENT_COLUMNS = (
    "message_id",
    "status",
    "provider_status",
    "provider_code",
    "error_code",
    "error_message",
    "provider_time",
    "received_at",
    "outcome",
    "inbound_event_id",
    "dedup_key",
)


def _status_event(
    message_pk: int,
    report: DeliveryReport,
    outcome: st.Outcome,
    key: str,
    inbound_event_id: int | None,
    now: datetime,
) -> tuple[Any, ...]:
    """A StatusEvent row, values in `_EVENT_COLUMNS` order."""
    return (
        message_pk,
        str(report.status),
        report.provider_status[:64],
        report.provider_code[:64],
        report.error_code[:64],
        report.error_message[:500],
        report.event_time,
        now,
        str(outcome),
        inbound_event_id,
        key,
    )
