"""CSV downloads: streamed row by row, and safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return as a formula ("CSV injection"). Operators, error texts and client
references come from providers and API clients, so every text cell starting so is written
with a leading single quote, as OWASP advises; the spreadsheet then shows it as text.

Phone numbers start with "+" and get the quote too (`'+919876543210`): they stay text
instead of turning into 9.19877E+11. Numbers that are numbers (int, float, Decimal: counts,
rates and latencies we computed) are written as they are, negative ones included, so a
spreadsheet can still add them up; only text can carry a formula.
"""

import csv
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import DatabaseError
from django.http import StreamingHttpResponse

logger = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500

# Told how many data rows went out, and whether the download ran to its end.
FinishCallback = Callable[[int, bool], None]


def csv_row(values: Iterable[Any]) -> list[Any]:
    """The values as written to cells: text that a spreadsheet would run gets a quote.
    (One comprehension, no call per cell: an export runs it on every row.)"""
    return [
        "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
        for value in values
    ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], on_finish: FinishCallback | None
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    written, complete = 0, False
    try:
        yield writer.writerow(csv_row(header))
        # Rows go out in chunks: the response encodes each piece it is handed, and per row
        # that cost about a fifth of an export's time (bench/README.md).
        chunk: list[str] = []
        for row in rows:
            chunk.append(writer.writerow(csv_row(row)))
            if len(chunk) == CHUNK_ROWS:
                written += len(chunk)  # counted once handed to the server
                yield "".join(chunk)
                chunk = []
        if chunk:
            written += len(chunk)
            yield "".join(chunk)
        complete = True
    finally:
        # Also when the client goes away mid-download: the server closes the generator.
        if on_finish is not None:
            try:
                on_finish(written, complete)
            except DatabaseError:
                # The rows are gone already; a failed record must not cut the file short.
                logger.exception("CSV export: recording its end failed")


def csv_response(
    *,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    filename: str,
    on_finish: FinishCallback | None = None,
) -> StreamingHttpResponse:
    """A streamed CSV download; `on_finish(rows, complete)` runs once the last row is out."""
    response = StreamingHttpResponse(
        _lines(header, rows, on_finish), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
