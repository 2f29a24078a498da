"""`python -m bench.micro`: the evidence behind the apply-path suggestions in bench/README.md.

Times, on a scratch copy of the bench database, the two `bulk_update` calls that dominate
the drain profile against set-based alternatives writing the same rows. CPU time is
reported beside wall time because it is what the worker spends, whatever else the
machine is doing.
"""

import time
from collections.abc import Callable

from . import db
from .config import config_from_env


def _timed(name: str, prepare: Callable[[], None], fn: Callable[[], object], rows: int) -> None:
    from django.db import transaction

    cpu, wall = [], []
    for _ in range(5):
        prepare()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with transaction.atomic():
            fn()
        cpu.append((time.process_time() - cpu0) * 1000)
        wall.append((time.perf_counter() - wall0) * 1000)
    print(f"{name:<58} cpu {min(cpu):7.1f} ms  wall {min(wall):7.1f} ms  ({rows} rows)")


def main() -> None:
    config = config_from_env()
    db.database_create(config)
    try:
        db.django_setup(config)
        _measure()
    finally:
        from django.db import connections

        connections.close_all()
        db.database_drop(config)


def _measure() -> None:
    from django.utils import timezone

    from deliveries.models import Message
    from deliveries.services import _UPDATE_COLUMNS
    from webhooks.models import InboundEvent

    from .apply import events_store

    events_store(300)
    Message.objects.bulk_create(
        [Message(provider="smstake", message_id=f"m{i}", status="sent") for i in range(500)]
    )
    messages = list(Message.objects.all())
    update_fields = list(_UPDATE_COLUMNS[1:])  # what reports_apply writes, less the key
    events = list(InboundEvent.objects.all()[:500])

    def messages_touch() -> None:
        for m in messages:
            m.status, m.status_changed_at = "delivered", timezone.now()

    def events_touch() -> None:
        for e in events:
            e.state, e.outcome, e.processed_at, e.report_count = (
                "done",
                "applied",
                timezone.now(),
                1,
            )

    _timed(
        "Message.bulk_update (reports_apply today)",
        messages_touch,
        lambda: Message.objects.bulk_update(messages, update_fields),
        len(messages),
    )
    _timed(
        "Message.bulk_create(update_conflicts=True), same fields",
        messages_touch,
        lambda: Message.objects.bulk_create(
            messages,
            update_conflicts=True,
            unique_fields=["provider", "message_id"],
            update_fields=update_fields,
        ),
        len(messages),
    )
    fields = ["state", "outcome", "error", "report_count", "attempts", "next_attempt_at",
              "processed_at", "processing_ms"]  # fmt: skip
    _timed(
        "InboundEvent.bulk_update (_events_apply today)",
        events_touch,
        lambda: InboundEvent.objects.bulk_update(events, fields),
        len(events),
    )
    _timed(
        "InboundEvent filter(pk__in=…).update(…), one per outcome",
        events_touch,
        lambda: InboundEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            state="done", outcome="applied", report_count=1, processed_at=timezone.now()
        ),
        len(events),
    )


if __name__ == "__main__":
    main()
