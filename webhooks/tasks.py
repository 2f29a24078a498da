from celery import shared_task

from . import services


@shared_task(acks_late=True)
def drain_inbox() -> int:
    """Process every pending inbound event. Also run periodically, as the sweeper."""
    return services.inbox_drain()
