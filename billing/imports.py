"""Importing a provider's usage export: streamed, in batches, all or nothing, once.

The file is read twice: once to hash it (a file imported before, completely, is not
imported again: nothing changes), then row by row through `csv` over a text stream, so a
file of any size is read in bounded memory; rows are written in batches, each committed,
with the import `running` meanwhile, and the reconciliation reads only `complete` imports.
A file that cannot be read to its end (no usable header, a broken CSV quote, bytes that are
not UTF-8) fails: its rows are removed and the error names the line. A row that cannot be
used (no message id, an amount that is not a number, another currency, a duplicate) is
skipped and counted with its reason.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any, NamedTuple

from django.db import DatabaseError, transaction
from django.utils import timezone

from .bill_formats import BillFormat, bill_format, header_key, time_parse
from .bill_insert import billed_insert
from .models import BillImport
from .money import amount_parse, currency_parse

BATCH = 5000
_QUOTED = re.compile(r"'[^']*'")
EXAMPLES = 100  # skipped lines kept with their reason, for the admin and the command
Progress = Callable[[int], None]  # told the bytes read so far


class FileRejected(Exception):
    """The file cannot be imported: the message names the line."""


def file_sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


class _Counting(io.RawIOBase):
    """A binary stream that reports how far it has been read."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        self.raw, self.progress, self.position = raw, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        if self.progress is not None:
            self.progress(self.position)
        return len(data)


def bill_import(
    *,
    provider: str,
    file_format: str,
    stream: IO[bytes],
    file_name: str = "",
    currency: str = "",
    progress: Progress | None = None,
) -> tuple[BillImport, bool]:
    """Import one export; returns the import and whether this call imported it (False: the
    same file was imported completely before, and nothing changed)."""
    fmt = bill_format(file_format, provider=provider)
    sha = file_sha256(stream)
    done = BillImport.objects.filter(
        provider=provider, sha256=sha, state=BillImport.State.COMPLETE
    ).first()
    if done is not None:
        return done, False
    record = BillImport.objects.create(
        provider=provider, file_format=fmt.name, file_name=file_name[:255], sha256=sha
    )
    try:
        _rows_import(record, fmt, stream, currency=currency_parse(currency), progress=progress)
    except (FileRejected, DatabaseError) as exc:
        with transaction.atomic():
            record.rows.all().delete()
            record.state = BillImport.State.FAILED
            record.error = str(exc) if isinstance(exc, FileRejected) else "database error"
            record.finished_at = timezone.now()
            record.save()
        if isinstance(exc, DatabaseError):
            raise
    return record, True


def _rows_import(
    record: BillImport,
    fmt: BillFormat,
    stream: IO[bytes],
    *,
    currency: str,
    progress: Progress | None,
) -> None:
    text = _lines(io.BufferedReader(_Counting(stream, progress), 1 << 16))
    reader = csv.reader(text, delimiter=fmt.delimiter)
    reasons: Counter[str] = Counter()
    examples: list[list[Any]] = []
    batch: list[tuple[Any, ...]] = []
    first: datetime | None = None
    last: datetime | None = None
    try:
        columns, ignored = _header(reader, fmt)
        at = _Columns.of(columns)
        record.skipped = {"ignored_columns": ignored}
        expected = currency or fmt.default_currency
        for row in reader:
            record.rows_read += 1
            parsed = _row(row, at, fmt, reader.line_num)
            if isinstance(parsed, str):
                _skip(reasons, examples, reader.line_num, parsed)
                continue
            if not expected:
                expected = parsed[4]  # the bill's currency is its first row's
            if parsed[4] != expected:
                _skip(
                    reasons,
                    examples,
                    reader.line_num,
                    f"currency {parsed[4]}, the bill is in {expected}",
                )
                continue
            first = parsed[2] if first is None or parsed[2] < first else first
            last = parsed[2] if last is None or parsed[2] > last else last
            batch.append(parsed)
            if len(batch) >= BATCH:
                _batch_write(record, batch, reasons, examples)
                batch = []
        _batch_write(record, batch, reasons, examples)
    except csv.Error as exc:
        raise FileRejected(f"line {reader.line_num}: not readable as CSV ({exc})") from None
    record.currency = expected
    record.state = BillImport.State.COMPLETE
    record.first_billed_at, record.last_billed_at = first, last
    record.skipped = {**record.skipped, "reasons": dict(reasons), "examples": examples}
    record.finished_at = timezone.now()
    record.save()


def _lines(binary: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so an error names its line."""
    for number, raw in enumerate(binary, start=1):
        try:
            # A BOM, as Excel writes it, is not part of the first header.
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise FileRejected(
                f"line {number}: not UTF-8 text (save the export as CSV UTF-8)"
            ) from None


def _header(reader: Any, fmt: BillFormat) -> tuple[dict[str, int], list[str]]:
    header = next(reader, None)
    if not header:
        raise FileRejected("line 1: the file is empty; expected a header row")
    keys = [header_key(name) for name in header]
    if len(header) == 1:
        for other in (";", "\t", "|", ","):
            if other != fmt.delimiter and other in header[0]:
                shown = "tab" if other == "\t" else repr(other)
                raise FileRejected(
                    f"line 1: one column only; the columns seem separated by {shown}, "
                    f"this format expects {fmt.delimiter!r}"
                )
    columns: dict[str, int] = {}
    missing = []
    for field, names in (*fmt.required().items(), *fmt.optional().items()):
        found = next((keys.index(n) for n in names if n in keys), None)
        if found is not None:
            columns[field] = found
        elif field in fmt.required():
            missing.append(f"{field} ({' or '.join(names)})")
    if missing:
        raise FileRejected(
            f"line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"found {', '.join(header)}"
        )
    ignored = [name for i, name in enumerate(header) if i not in columns.values()]
    return columns, ignored


class _Columns(NamedTuple):
    """Where each field is in a row (-1: not in this file)."""

    message_id: int
    time: int
    amount: int
    segments: int
    currency: int
    status: int
    direction: int
    last: int  # the highest of them: a shorter row is short of fields

    @classmethod
    def of(cls, columns: dict[str, int]) -> "_Columns":
        def at(name: str) -> int:
            return columns.get(name, -1)

        return cls(
            at("message id"),
            at("time"),
            at("amount"),
            at("segments"),
            at("currency"),
            at("status"),
            at("direction"),
            max(columns.values()),
        )


def _row(row: list[str], at: _Columns, fmt: BillFormat, line: int) -> tuple[Any, ...] | str:
    """The values of a billed message, or the reason the row is skipped. Called once per
    row of files of millions: plain indexing, no per-row dictionaries."""
    if len(row) <= at.last:
        return "blank line" if not any(row) else "too few fields"
    if at.direction >= 0 and row[at.direction].strip().lower().startswith("inbound"):
        return "inbound message"
    message_id = row[at.message_id].strip()
    if not message_id or len(message_id) > 200:
        return "no message id" if not message_id else "message id too long"
    text = row[at.amount]
    amount = amount_parse(text)
    if amount is None:
        return f"amount {text.strip()[:40]!r} is not a number"
    if fmt.negated:
        amount = -amount
    if amount < 0:
        return f"amount {text.strip()[:40]!r} is negative"
    moment = time_parse(row[at.time])
    if moment is None:
        return f"time {row[at.time].strip()[:40]!r} is not a date"
    code = (currency_parse(row[at.currency]) if at.currency >= 0 else "") or fmt.default_currency
    if not code:
        return "no currency"
    segments: int | None = None
    if at.segments >= 0 and (units := row[at.segments].strip()):
        if not units.isdigit():
            return f"segments {units[:20]!r} is not a whole number"
        segments = int(units)
    status = row[at.status].strip()[:64] if at.status >= 0 else ""
    return (message_id, line, moment, amount, code, segments, status)


def _skip(reasons: Counter[str], examples: list[list[Any]], line: int, reason: str) -> None:
    # Counted by kind, without the value ("amount '…' is not a number"): a short list.
    reasons[_QUOTED.sub("'…'", reason)] += 1
    if len(examples) < EXAMPLES:
        examples.append([line, reason])


def _batch_write(
    record: BillImport,
    batch: list[tuple[Any, ...]],
    reasons: Counter[str],
    examples: list[list[Any]],
) -> None:
    """Insert a batch (a message billed twice is kept once) and commit it with the counts."""
    with transaction.atomic():
        inserted = billed_insert(record, batch) if batch else set()
        for values in batch:
            if values[1] not in inserted:
                _skip(reasons, examples, values[1], "duplicate message id")
        record.rows_imported += len(inserted)
        record.rows_skipped = sum(reasons.values())
        record.save(update_fields=["rows_read", "rows_imported", "rows_skipped"])
