from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.demo_export import export_write


class Command(BaseCommand):
    help = (
        "Write a provider's usage export (Plivo MDR or Twilio message log) made from the "
        "messages dlrdash holds, with a few rows altered, to try the reconciliation on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--provider", default="infobip")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=["plivo", "twilio", "generic"],
            help="Default: the provider's own (Plivo, Twilio), else generic.",
        )
        parser.add_argument("--month", help="YYYY-MM; default: this month.")
        parser.add_argument("--fraction", type=float, default=0.003, help="Share of rows altered.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = (
                datetime.strptime(options["month"], "%Y-%m").replace(tzinfo=UTC)
                if options["month"]
                else datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            )
        except ValueError:
            raise CommandError("--month looks like 2026-11") from None
        provider = options["provider"]
        file_format = options["file_format"] or (
            provider if provider in ("plivo", "twilio") else "generic"
        )
        with options["path"].open("w", newline="", encoding="utf-8") as out:
            altered = export_write(
                out,
                provider=options["provider"],
                month=month,
                file_format=file_format,
                fraction=options["fraction"],
                seed=options["seed"],
            )
        self.stdout.write(
            f"wrote {options['path']}; altered rows, as the reconciliation should list them:"
        )
        for kind, ids in altered.items():
            self.stdout.write(f"  {kind}: {len(ids)}")
            for message_id in ids:
                self.stdout.write(f"    {message_id}")
