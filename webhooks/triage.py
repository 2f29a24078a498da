"""An operator's say over events that should not be processed as they are.

Parking stops a pending event's retries and keeps it for later (`failed`, as when its
retries run out; reprocessing takes it up again). Discarding decides it is never to be
processed. Neither deletes anything: the provider was told we had the report, so its
body stays until retention, and the event's error says who did what, and when.
"""

from collections.abc import Collection

from django.db.models import Case, F, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from .models import InboundEvent

State = InboundEvent.State


def inbound_events_park(*, ids: Collection[int], by: str) -> int:
    """Stop retrying pending events; returns how many were parked."""
    return _events_set_aside(ids, states=[State.PENDING], to=State.FAILED, what="parked", by=by)


def inbound_events_discard(*, ids: Collection[int], by: str) -> int:
    """Never process these pending or parked events; returns how many were discarded."""
    return _events_set_aside(
        ids, states=[State.PENDING, State.FAILED], to=State.DISCARDED, what="discarded", by=by
    )


def _events_set_aside(
    ids: Collection[int], *, states: list[State], to: State, what: str, by: str
) -> int:
    note = f"{what} by {by} at {timezone.now():%Y-%m-%d %H:%M:%S %Z}"
    # Only events still in `states`: one a worker applied meanwhile is left as it is (on
    # PostgreSQL this UPDATE waits for the worker's row lock, then checks the state again).
    return InboundEvent.objects.filter(pk__in=list(ids), state__in=states).update(
        state=to,
        next_attempt_at=None,
        error=Case(
            When(error="", then=Value(note)),
            default=Concat(Value(f"{note}; before: "), F("error")),
            output_field=TextField(),
        ),
    )
