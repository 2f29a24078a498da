from typing import Any

from django.core.management.base import BaseCommand

from deliveries.rollup_rebuild import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the delivery rollups from the messages (after an upgrade, or to audit "
        "the incremental counts). Safe to run while reports arrive."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cells = rollups_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt delivery rollups: {cells} cells."))
