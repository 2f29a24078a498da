from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dlrdash import partitions


class Command(BaseCommand):
    help = (
        "Create the monthly partitions of the inbox and the status history for this month "
        "and the next ones (PostgreSQL; beat does it daily). Idempotent; a no-op on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=partitions.MONTHS_AHEAD,
            help=f"months after the current one (default {partitions.MONTHS_AHEAD})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tables = partitions.partitioned_tables()
        if not tables:
            self.stdout.write("No partitioned tables (SQLite, or not migrated): nothing to do.")
            return
        for name in partitions.partitions_ensure(months_ahead=options["months_ahead"]):
            self.stdout.write(f"created {name}")
        for table in tables:
            months = sorted(partitions.partition_months(table))
            self.stdout.write(f"{table}: {months[0]:%Y-%m} … {months[-1]:%Y-%m}, and default")
