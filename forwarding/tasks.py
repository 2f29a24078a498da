from celery import shared_task

from .deadlines import no_dlr_scan
from .drain import deliveries_drain


def forwarding_tick() -> int:
    """Fire the no-DLR deadlines that passed, then send whatever is due."""
    no_dlr_scan()
    return deliveries_drain()


@shared_task(acks_late=True)
def drain() -> int:
    """Send due deliveries (kicked after an outbox commit)."""
    return deliveries_drain()


@shared_task
def tick() -> int:
    """Every FORWARDING_TICK_SECONDS (beat): deadlines, retries, and any lost kick."""
    return forwarding_tick()
