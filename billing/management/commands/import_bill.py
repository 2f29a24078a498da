from pathlib import Path
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from billing.bill_formats import FORMATS
from billing.imports import bill_import
from billing.models import BillImport


def bar_advance(bar: tqdm[Any], done: int) -> None:
    bar.update(done - bar.n)


class Command(BaseCommand):
    help = (
        "Import a provider's usage export (CSV) for reconciliation: Plivo MDR, Twilio "
        "message log, or a generic file read through the provider's column mapping. "
        "Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--provider", required=True)
        parser.add_argument("--format", dest="file_format", choices=FORMATS, required=True)
        parser.add_argument("--currency", default="", help="When the rows do not say.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with (
            path.open("rb") as stream,
            tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                disable=options["no_progress"],
                file=cast(Any, self.stderr._out),  # the raw stream: the wrapper adds newlines
            ) as bar,
        ):
            try:
                record, imported = bill_import(
                    provider=options["provider"],
                    file_format=options["file_format"],
                    stream=stream,
                    file_name=path.name,
                    currency=options["currency"],
                    progress=lambda done: bar_advance(bar, done),
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        if not imported:
            self.stdout.write(
                f"{path.name} was imported before (import {record.pk}): nothing changed."
            )
            return
        if record.state != BillImport.State.COMPLETE:
            raise CommandError(f"import {record.pk} failed, nothing kept: {record.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"import {record.pk}: {record.rows_imported} rows imported, "
                f"{record.rows_skipped} skipped, of {record.rows_read} ({record.currency})"
            )
        )
        for reason, count in sorted((record.skipped.get("reasons") or {}).items()):
            self.stdout.write(f"  skipped {count}: {reason}")
        for line, reason in (record.skipped.get("examples") or [])[:20]:
            self.stdout.write(f"  line {line}: {reason}")
