from celery import shared_task

from . import services


@shared_task
def evaluate() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): evaluate the rules, then retry due notifications."""
    changed = services.rules_evaluate()
    deliver_notifications.delay(None)
    return changed


@shared_task(acks_late=True)
def deliver_notifications(ids: list[int] | None) -> int:
    """Send the given notifications, or (None) every pending one whose retry is due.

    Routed to the `outbound` queue (CELERY_TASK_ROUTES): never run by the report worker."""
    return services.notifications_deliver(ids=ids)
