"""Writing a batch of a bill's rows: a message billed twice is kept once."""

from typing import Any

from django.db import connection

from deliveries.bulk import server_cursor

from .models import BilledMessage, BillImport

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


def billed_insert(record: BillImport, batch: list[tuple[Any, ...]]) -> set[int]:
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
