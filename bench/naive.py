"""The naive apply baseline: what a first version of the worker would do, report by report.

Per report: parse, ORM `get_or_create` the message, merge, `save`, `create` the status
event; per event, one transaction. Same statuses, same precedence rules (deliveries.status)
and same dedup key as the project's path, so both do the same work on the same events.
"""

import time

from django.db import transaction
from django.utils import timezone

from deliveries import status as st
from deliveries.models import Message, StatusEvent
from deliveries.reports import DeliveryReport
from deliveries.services import report_dedup_key
from webhooks.models import InboundEvent
from webhooks.providers import InboundRequest, get_provider


def naive_drain(*, limit: int, deadline: float) -> int:
    pending = InboundEvent.objects.filter(state=InboundEvent.State.PENDING).order_by("pk")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    done = 0
    for event_id in ids:
        if time.monotonic() > deadline:
            break
        done += 1
        with transaction.atomic():
            event = InboundEvent.objects.select_related("endpoint").get(pk=event_id)
            request = InboundRequest(
                method=event.method,
                url="",
                headers=event.headers,
                query={},
                body=bytes(event.body),
            )
            reports = get_provider(event.endpoint.provider).parse(request)
            for report in reports:
                _report_apply(report, event.pk)
            event.state = InboundEvent.State.DONE
            event.report_count = len(reports)
            event.processed_at = timezone.now()
            event.save(update_fields=["state", "report_count", "processed_at"])
    return done


def _report_apply(report: DeliveryReport, inbound_event_id: int) -> None:
    key = report_dedup_key(report)
    if StatusEvent.objects.filter(dedup_key=key).exists():
        return
    message, _ = Message.objects.get_or_create(
        provider=report.provider, message_id=report.message_id
    )
    current = message.status if message.status_changed_at else None
    outcome = st.outcome_of(new=report.status, current=current)
    for name in ("channel", "to_raw", "sender", "operator", "client_ref", "tag"):
        value = getattr(report, name, "") if name != "to_raw" else report.to
        if value and not getattr(message, name):
            setattr(message, name, value[:64])
    if outcome is st.Outcome.APPLIED:
        message.status = report.status
        message.provider_status = report.provider_status[:64]
        message.error_code = report.error_code[:64]
        message.status_changed_at = timezone.now()
    message.save()
    StatusEvent.objects.create(
        message=message,
        status=report.status,
        provider_status=report.provider_status[:64],
        error_code=report.error_code[:64],
        provider_time=report.event_time,
        received_at=timezone.now(),
        outcome=outcome,
        inbound_event_id=inbound_event_id,
        dedup_key=key,
    )
