from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.imports import FileRejected
from billing.rate_import import rates_import


class Command(BaseCommand):
    help = (
        "Add rates to a rate card from CSV (provider, channel, country, operator, category, "
        "encoding, price, currency, valid_from); all rows or none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--card", required=True, help="The rate card's name.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open("rb") as stream:
            try:
                count = rates_import(card_name=options["card"], stream=stream)
            except FileRejected as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"{count} rates in {options['card']}"))
