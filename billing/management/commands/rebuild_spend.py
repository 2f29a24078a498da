from typing import Any

from django.core.management.base import BaseCommand

from billing.spend import spend_rebuild


class Command(BaseCommand):
    help = "Recompute the spend rollup from the messages' costs (after a restore, or a bug)."

    def handle(self, *args: Any, **options: Any) -> None:
        cells = spend_rebuild()
        self.stdout.write(f"{cells} spend cells written")
