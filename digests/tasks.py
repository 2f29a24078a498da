from celery import shared_task

from .services import digests_send_due


@shared_task(name="digests.tasks.send_due", ignore_result=True)
def send_due() -> int:
    return digests_send_due()
