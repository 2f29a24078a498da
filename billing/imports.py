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
from typing import IO, Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from deliveries.bulk import server_cursor

from .bill_formats import BillFormat, bill_format, header_key, time_parse
from .models import BilledMessage, BillImport
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
        record.skipped = {"ignored_columns": ignored}
        expected = currency or fmt.default_currency
        for row in reader:
            record.rows_read += 1
            parsed = _row(row, columns, fmt, reader.line_num)
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


def _row(
    row: list[str], columns: dict[str, int], fmt: BillFormat, line: int
) -> tuple[Any, ...] | str:
    """The values of a billed message, or the reason the row is skipped."""
    if len(row) <= max(columns.values()):
        return "blank line" if not any(row) else "too few fields"
    get = {field: row[index].strip() for field, index in columns.items()}
    if get.get("direction", "").lower().startswith("inbound"):
        return "inbound message"
    message_id = get["message id"]
    if not message_id or len(message_id) > 200:
        return "no message id" if not message_id else "message id too long"
    amount = amount_parse(get["amount"])
    if amount is None:
        return f"amount {get['amount'][:40]!r} is not a number"
    if fmt.negated:
        amount = -amount
    if amount < 0:
        return f"amount {get['amount'][:40]!r} is negative"
    at = time_parse(get["time"])
    if at is None:
        return f"time {get['time'][:40]!r} is not a date"
    code = currency_parse(get.get("currency", "")) or fmt.default_currency
    if not code:
        return "no currency"
    segments: int | None = None
    if get.get("segments"):
        if not get["segments"].isdigit():
            return f"segments {get['segments'][:20]!r} is not a whole number"
        segments = int(get["segments"])
    return (message_id, line, at, amount, code, segments, get.get("status", "")[:64])


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
        inserted = _insert(record, batch) if batch else set()
        for values in batch:
            if values[1] not in inserted:
                _skip(reasons, examples, values[1], "duplicate message id")
        record.rows_imported += len(inserted)
        record.rows_skipped = sum(reasons.values())
        record.save(update_fields=["rows_read", "rows_imported", "rows_skipped"])


_COLUMNS = (
    "bill_import_id",
    "provider",
    "message_id",
    "line",
    "billed_at",
    "amount",
    "currency",
    "segments",
    "provider_status",
)


def _insert(record: BillImport, batch: list[tuple[Any, ...]]) -> set[int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING line: the lines that were new."""
    table = connection.ops.quote_name(BilledMessage._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    if connection.vendor == "postgresql":
        return _insert_copy(record, batch, table, names)
    field = BilledMessage._meta.get_field("billed_at")
    inserted: set[int] = set()
    per = 3000  # nine parameters a row, under SQLite's 32,766
    with connection.cursor() as cursor:
        for start in range(0, len(batch), per):
            chunk = batch[start : start + per]
            params: list[Any] = []
            for m, line, at, amount, code, segments, status in chunk:
                at_db = field.get_db_prep_value(at, connection)
                params += [
                    record.pk,
                    record.provider,
                    m,
                    line,
                    at_db,
                    str(amount),
                    code,
                    segments,
                    status,
                ]
            values = ", ".join(["(" + ", ".join(["%s"] * 9) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608
                "ON CONFLICT (provider, message_id) DO NOTHING RETURNING line",
                params,
            )
            inserted.update(row[0] for row in cursor.fetchall())
    return inserted


def _insert_copy(
    record: BillImport, batch: list[tuple[Any, ...]], table: str, names: str
) -> set[int]:
    """PostgreSQL: COPY the batch into a scratch table (rows formatted by psycopg's C code),
    then one INSERT … SELECT … ON CONFLICT DO NOTHING: binding arrays of thousands of
    timestamps and decimals cost more in Python than the statement did."""
    with server_cursor(connection) as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS billing_import_scratch (m varchar, l bigint, "
            "t timestamptz, a numeric, c varchar, s int, st varchar) ON COMMIT DELETE ROWS"
        )
        with cursor.copy("COPY billing_import_scratch FROM STDIN") as copy:
            for values in batch:
                copy.write_row(values)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT %s, %s, m, l, t, a, c, s, st "  # noqa: S608
            "FROM billing_import_scratch ORDER BY l "
            "ON CONFLICT (provider, message_id) DO NOTHING RETURNING line",
            [record.pk, record.provider],
        )
        inserted = {row[0] for row in cursor.fetchall()}
        cursor.execute("DELETE FROM billing_import_scratch")
        return inserted
