"""Process pending inbound events without Celery: what the periodic sweeper does.

Useful when the broker is away, to work off a backlog by hand, and in the fault tests,
which kill and restart this process in the middle of a batch.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from webhooks.inbox import inbox_drain


class Command(BaseCommand):
    help = "Process pending inbound events; with --loop keep doing it until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep draining until killed.")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="With --loop: seconds to wait when the inbox is empty (default 1).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Events per transaction (default: INBOX_BATCH_SIZE).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int | None = options["batch_size"]
        if not options["loop"]:
            done = inbox_drain(batch_size=batch_size)
            self.stdout.write(f"processed {done} events")
            return
        while True:
            # An empty inbox means a short nap; a busy one is drained back to back.
            if inbox_drain(batch_size=batch_size) == 0:
                time.sleep(options["interval"])
