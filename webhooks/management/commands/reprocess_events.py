from collections import Counter
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from webhooks.inbox import inbound_events_reprocess
from webhooks.models import InboundEvent

BATCH = 500


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = (
        "Process stored webhook events again, e.g. after a parser fix. Idempotent: reports "
        "already recorded are not recorded twice. Unauthentic events are never processed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_when, help="received at or after (ISO 8601)")
        parser.add_argument("--until", type=_when, help="received before (ISO 8601)")
        parser.add_argument("--outcome", choices=InboundEvent.Outcome.values)
        parser.add_argument("--state", choices=InboundEvent.State.values)
        parser.add_argument("--endpoint", help="endpoint slug")
        parser.add_argument("--dry-run", action="store_true", help="only count the events")

    def handle(self, *args: Any, **options: Any) -> None:
        events = self._events(options)
        total = events.count()
        if options["dry_run"]:
            self.stdout.write(f"{total} events would be reprocessed")
            return
        done, last_pk = 0, 0
        while True:
            # Keyset pagination: reprocessing changes outcomes, so offsets would skip rows.
            batch = list(events.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not batch:
                break
            done += inbound_events_reprocess(events=batch)
            last_pk = batch[-1].pk
        outcomes = Counter(
            InboundEvent.objects.filter(pk__in=events.values("pk")).values_list(
                "outcome", flat=True
            )
        )
        summary = ", ".join(f"{n} {o or 'pending'}" for o, n in sorted(outcomes.items()))
        self.stdout.write(f"reprocessed {done} of {total} events: {summary or 'none'}")

    def _events(self, options: dict[str, Any]) -> QuerySet[InboundEvent]:
        events = InboundEvent.objects.filter(auth_ok=True)
        if options["since"]:
            events = events.filter(received_at__gte=options["since"])
        if options["until"]:
            events = events.filter(received_at__lt=options["until"])
        if options["outcome"]:
            events = events.filter(outcome=options["outcome"])
        if options["state"]:
            events = events.filter(state=options["state"])
        if options["endpoint"]:
            events = events.filter(endpoint__slug=options["endpoint"])
        return events
