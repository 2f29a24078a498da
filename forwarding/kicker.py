"""Getting outbox rows sent soon after they are committed, with or without a broker.

With a broker, a kick publishes one `forwarding.tasks.drain` from a background thread at
most every 250 ms (as the inbox kicker does: a hung broker must never hold up the process
that kicks), and beat's `forwarding.tasks.tick` covers lost kicks, retries and no-DLR
deadlines. Without one (`make run`: tasks inline), nothing would run beat's tick: a daemon
thread of the web process does it instead, woken by kicks and at least every
FORWARDING_TICK_SECONDS.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

_KICK_INTERVAL = 0.25


class _Loop:
    """One daemon thread per process running `step` when woken (or every `every` s)."""

    def __init__(self, name: str, step: Callable[[], None], every: float | None) -> None:
        self.name, self.step, self.every = name, step, every
        self.wanted = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def wake(self) -> None:
        self.wanted.set()
        # Checked on every wake: a forked worker process inherits the object, not the thread.
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
                    self.thread.start()

    def run(self) -> None:
        while True:
            self.wanted.wait(timeout=self.every)
            self.wanted.clear()
            try:
                self.step()
            except Exception:
                logger.exception("%s: step failed; trying again on the next wake", self.name)
            time.sleep(_KICK_INTERVAL)


def _publish() -> None:
    from . import tasks

    try:
        tasks.drain.apply_async(retry=False)
    except Exception:  # the broker is away: beat's tick will find the rows
        logger.warning("could not enqueue forwarding drain; the periodic tick will send")


def _inline_tick() -> None:
    from .tasks import forwarding_tick

    if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.FORWARDING_INLINE_SENDER):
        return  # switched off since it started (tests do)
    close_old_connections()
    try:
        forwarding_tick()
    finally:
        # A thread's connection is its own: give it back rather than hold it idle.
        connections.close_all()


_publisher = _Loop("forwarding-kicker", _publish, every=None)
_inline_sender = _Loop("forwarding-sender", _inline_tick, every=None)


def deliveries_kick() -> None:
    """After commit of new outbox rows: have them sent soon. Never raises, never blocks."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        _publisher.wake()
    elif settings.FORWARDING_INLINE_SENDER:
        inline_sender_start()


def inline_sender_start() -> None:
    """Without a broker: start (or wake) this process's sending thread; a no-op with one.

    The web process calls it at start-up, so no-DLR deadlines fire even when no report
    arrives; kicks wake it early.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.FORWARDING_INLINE_SENDER:
        _inline_sender.every = float(settings.FORWARDING_TICK_SECONDS)
        _inline_sender.wake()
