"""Deleting an endpoint: refused while any of its reports wait to be applied.

An endpoint's webhook log goes with it (InboundEvent cascades), and a pending event is a
report the provider was told we have: deleting it loses that report for good. Deactivate
the endpoint instead (it then refuses new requests) and delete it once its reports are
applied.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count

from .models import InboundEvent, WebhookEndpoint


class EndpointBusy(Exception):
    """The endpoint still has reports waiting to be applied."""

    def __init__(self, endpoint: WebhookEndpoint, pending: int) -> None:
        super().__init__(
            f"{endpoint.slug} has {pending} pending report{'s' if pending != 1 else ''}: "
            "deactivate the endpoint instead, and delete it once they are applied."
        )
        self.pending = pending


def endpoints_pending(*, endpoints: Iterable[WebhookEndpoint]) -> dict[int, int]:
    """Pending reports per endpoint id, for those of `endpoints` that have any."""
    rows = (
        InboundEvent.objects.filter(endpoint__in=list(endpoints), state=InboundEvent.State.PENDING)
        .values("endpoint_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["endpoint_id"]: row["n"] for row in rows}


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete `endpoint` and its log; raises EndpointBusy while reports are pending."""
    with transaction.atomic():
        # A request logged for it once this row is locked waits for its foreign-key check
        # and then fails it (answered 503, never acknowledged): only reports committed
        # before the lock were acknowledged, and the count below sees all of them.
        if WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first() is None:
            return  # deleted meanwhile
        pending = endpoints_pending(endpoints=[endpoint]).get(endpoint.pk, 0)
        if pending:
            raise EndpointBusy(endpoint, pending)
        endpoint.delete()
