"""Set-based writes for the apply path (many rows per statement, no model instances), and
the streamed read of exports.

Django's `bulk_update()` builds a `CASE WHEN pk=… THEN …` expression per row and field, and
`bulk_create()` prepares every value of every instance; on PostgreSQL psycopg's client-side
binding (Django's default) then parses and quotes a statement of ~10,000 parameters in
Python. Profiled on the drain (bench/README.md), that was most of the apply path's CPU.
On PostgreSQL these helpers load rows with `COPY` (formatted by psycopg's C code) and bind
the few parameters they still need server-side; SQLite runs one plain statement per chunk.

An export reads millions of rows of a `values_list()` queryset: on PostgreSQL through a
server-side cursor whose timestamps psycopg's C loader parses (Django's own loader, in
Python, took most of a row's reading time), giving the same values.
"""

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connections, models, router
from django.db.backends.utils import CursorWrapper


def bulk_update_rows(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Write `fields` of model instances, one statement per chunk (see `rows_update`)."""
    attnames = ["pk", *(column_field(model, name).attname for name in fields)]
    rows_update(model, attnames, [tuple(getattr(obj, a) for a in attnames) for obj in objs])


def rows_update(
    model: type[models.Model], attnames: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """`UPDATE model SET attnames[1:] = row[1:] WHERE pk = row[0]` for every row, at once."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [meta.pk if a == "pk" else column_field(model, a) for a in attnames]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    names = [qn(column_name(field)) for field in fields]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    if connection.vendor == "postgresql":
        # COPY into a session-local scratch table, then one UPDATE … FROM it. The scratch
        # table has no index: the join probes the target's primary key per scratch row.
        # One scratch table per column list: the apply path and registration write different
        # columns, and a session keeps its temporary tables.
        scratch = qn(f"{meta.db_table}_scratch_{zlib.crc32(' '.join(names).encode()):08x}")
        with server_cursor(connection) as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS "  # noqa: S608
                f"AS SELECT {', '.join(names)} FROM {table} WITH NO DATA"
            )
            # Emptied at commit, but a batch retried one by one writes several times in one
            # transaction. (DELETE, not TRUNCATE: that would give the table a new file.)
            cursor.execute(f"DELETE FROM {scratch}")  # noqa: S608
            with cursor.copy(f"COPY {scratch} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments.replace(' = v.', ' = s.')} "  # noqa: S608
                f"FROM {scratch} AS s WHERE t.{names[0]} = s.{names[0]}"
            )
        return
    # PostgreSQL would type VALUES from the first row; SQLite (≥ 3.33) takes it as it is.
    placeholders = ", ".join(["%s"] * len(fields))
    # SQLite allows 32,766 parameters per statement; stay well below.
    per_statement = max(1, 30000 // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            values = ", ".join(f"({placeholders})" for _ in chunk)
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608 (names quoted)
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{names[0]} = v.{names[0]}",
                params,
            )


def rows_set(model: type[models.Model], pks: Sequence[Any], values: dict[str, Any]) -> int:
    """`UPDATE model SET name = value, … WHERE pk IN pks`; returns the rows updated.

    On PostgreSQL the keys are one array parameter, bound server-side: the ORM's
    `filter(pk__in=…).update(…)` had psycopg quote 500 ids into the statement in Python.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model._default_manager.filter(pk__in=pks).update(**values)
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [column_field(model, name) for name in values]
    assignments = ", ".join(f"{qn(column_name(field))} = %s" for field in fields)
    params = [
        f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)
    ]
    # The stubs declare rel_db_type() on a few Field subclasses only; Django has it on Field.
    key_type = meta.pk.rel_db_type(connection)  # type: ignore[attr-defined]
    with server_cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {assignments} "  # noqa: S608 (quoted names)
            f"WHERE {qn(column_name(meta.pk))} = ANY(%s::{key_type}[])",
            [*params, list(pks)],
        )
        return int(cursor.rowcount)


def rows_insert(
    model: type[models.Model], attnames: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT rows (values in `attnames` order, no primary key): COPY on PostgreSQL."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [column_field(model, a) for a in attnames]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    names = ", ".join(qn(column_name(field)) for field in fields)
    if connection.vendor == "postgresql":
        with (
            server_cursor(connection) as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})",  # noqa: S608
            [
                [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                for row in rows
            ],
        )


@contextmanager
def server_cursor(connection: Any) -> Iterator[CursorWrapper]:
    """A cursor that binds parameters server-side on PostgreSQL (arrays, COPY), still
    counted by Django's query log; any other database's ordinary cursor."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrapped = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    try:
        yield wrapped
    finally:
        raw.close()


def column_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """`model._meta.get_field(name)`, which must be a field: these helpers write columns, and
    a reverse relation has none."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is a reverse relation, not a column")
    return field


def column_name(field: "models.Field[Any, Any]") -> str:
    """`field.column`, which only a composite relation (`ForeignObject`) leaves unset."""
    if field.column is None:
        raise TypeError(f"{field} has no column of its own")
    return field.column


def values_stream(queryset: "models.QuerySet[Any, Any]", *, chunk: int) -> Iterator[Any]:
    """The rows of a `values_list()` queryset, `chunk` at a time from the database."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        yield from queryset.iterator(chunk_size=chunk)
        return
    sql, params = queryset.query.sql_with_params()
    timestamptz = psycopg.adapters.types["timestamptz"].oid
    with connection.chunked_cursor() as cursor:
        loader = psycopg.adapters.get_loader(timestamptz, psycopg.pq.Format.TEXT)
        assert loader is not None  # psycopg always has one
        cursor.cursor.adapters.register_loader(timestamptz, loader)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows
