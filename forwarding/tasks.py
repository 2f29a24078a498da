from celery import shared_task

from .deadlines import no_dlr_scan
from .drain import deliveries_drain
from .services import deliveries_prune


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
    """Every FORWARDING_TICK_SECONDS (beat): fire the deadlines that passed, then have a
    worker send what is due (retries, lost kicks). Sending is a task of its own, so a slow
    receiver never delays the next deadline scan."""
    fired = no_dlr_scan()
    drain.apply_async(expires=10)
    return fired


@shared_task
def prune() -> int:
    """Daily: delivered and dead-lettered deliveries past retention, and every delivery of a
    deleted subscription, with their attempts."""
    return deliveries_prune()
