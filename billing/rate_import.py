"""The rate card from CSV: one rate per row, all rows or none.

Columns (header required, any order; blank country, operator, category and encoding mean
"any"): provider, channel, country, operator, category, encoding, price, currency,
valid_from. A price is per segment. Importing the same rows again changes nothing; a row
for an existing version (same key and valid_from) replaces its price.
"""

import csv
import io
from typing import IO, Any

from django.db import transaction

from deliveries.reports import Channel

from .bill_formats import header_key, time_parse
from .imports import FileRejected
from .models import ENCODING_CHOICES, Rate, RateCard
from .money import amount_parse, currency_parse

COLUMNS = (
    "provider",
    "channel",
    "country",
    "operator",
    "category",
    "encoding",
    "price",
    "currency",
    "valid_from",
)
REQUIRED = ("provider", "price", "currency", "valid_from")
MAX_ERRORS = 20
_ENCODINGS = {value for value, _ in ENCODING_CHOICES}
_KEY = ["provider", "channel", "country", "operator", "category", "encoding", "valid_from"]


def rates_import(*, card_name: str, stream: IO[bytes]) -> int:
    """Add (or replace) the rates of a CSV file in the card `card_name`; returns how many.
    Raises `FileRejected` naming the lines at fault, and then imports nothing."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    rates: list[Rate] = []
    errors: list[str] = []
    try:
        header = [header_key(h) for h in next(reader, [])]
        missing = [c for c in REQUIRED if header_key(c) not in header]
        if missing:
            raise FileRejected(f"line 1: missing columns {', '.join(missing)}")
        index = {n: header.index(header_key(n)) for n in COLUMNS if header_key(n) in header}
        for row in reader:
            if not any(row):
                continue
            values = {n: row[i].strip() if i < len(row) else "" for n, i in index.items()}
            rate = _rate(values, reader.line_num, errors)
            if rate is not None:
                rates.append(rate)
            if len(errors) >= MAX_ERRORS:
                break
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileRejected(
            f"line {reader.line_num + 1}: not readable as UTF-8 CSV ({exc})"
        ) from None
    if errors:
        raise FileRejected("; ".join(errors))
    with transaction.atomic():
        card, _ = RateCard.objects.get_or_create(name=card_name)
        for rate in rates:
            rate.card = card
        Rate.objects.bulk_create(
            rates,
            update_conflicts=True,
            unique_fields=_KEY,
            update_fields=["price", "currency", "card"],
            batch_size=1000,
        )
    return len(rates)


def _rate(values: dict[str, Any], line: int, errors: list[str]) -> Rate | None:
    price = amount_parse(values["price"])
    currency = currency_parse(values["currency"])
    valid_from = time_parse(values["valid_from"])
    channel = values.get("channel") or "sms"
    encoding = (values.get("encoding") or "").lower()
    problems = []
    if not values["provider"]:
        problems.append("no provider")
    if price is None or price < 0:
        problems.append(f"price {values['price']!r} is not a number")
    if not currency:
        problems.append(f"currency {values['currency']!r} is not an ISO 4217 code")
    if valid_from is None:
        problems.append(f"valid_from {values['valid_from']!r} is not a date")
    if channel not in set(Channel):
        problems.append(f"channel {channel!r} is not one of {', '.join(Channel)}")
    if encoding not in _ENCODINGS:
        problems.append(f"encoding {encoding!r} is not gsm7 or ucs2")
    if len(values.get("country", "")) not in (0, 2):
        problems.append(f"country {values['country']!r} is not an ISO 3166 alpha-2 code")
    if problems or price is None or valid_from is None:
        errors.append(f"line {line}: {', '.join(problems)}")
        return None
    return Rate(
        provider=values["provider"][:40],
        channel=channel,
        country=values.get("country", "").upper(),
        operator=values.get("operator", "")[:64],
        category=values.get("category", "").lower()[:32],
        encoding=encoding,
        price=price,
        currency=currency,
        valid_from=valid_from,
    )
