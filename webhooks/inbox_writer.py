"""The webhook's one write, and group commit of concurrent webhooks on PostgreSQL.

Every authentic report must be durable before it is acknowledged, so each webhook waits for
a commit — an fsync of the WAL, the single largest cost of a webhook (bench/README.md). One
INSERT per request makes that wait, a round trip and a statement's parse and plan per report.

With group commit, the request threads of a web process hand their rows to one writer
thread and wait. The writer INSERTs whatever has queued up — everything that arrived while
the previous INSERT was committing — as one multi-row statement, which commits (autocommit)
before any of its requests is answered. Under load, one round trip and one fsync serve
dozens of reports; a lone request only pays the hand-over to the writer thread. No request
is ever acknowledged before its row is committed, and an INSERT that fails fails every
request of its group with the database error (answered 503, so the providers retry).

Used for PostgreSQL outside a transaction (`WEBHOOK_GROUP_COMMIT`, on by default). SQLite
(one writer at a time anyway) and callers inside a transaction get the plain INSERT.
"""

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    router,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from psycopg.types.json import Jsonb

from deliveries.bulk import column_field, column_name

from .models import InboundEvent

logger = logging.getLogger(__name__)

# The columns the webhook writes; the others keep their model defaults via `_DEFAULTS`.
COLUMNS = (
    "endpoint_id",
    "received_at",
    "method",
    "headers",
    "query_string",
    "body",
    "remote_addr",
    "auth_ok",
    "auth_error",
    "response_code",
    "state",
    "outcome",
    "error",
    "report_count",
    "attempts",
)
_DEFAULTS = {"outcome": "", "error": "", "report_count": 0, "attempts": 0}
# Rows in one group's statement (one array per column, so this bounds its size, not the
# number of parameters).
MAX_GROUP = 500
# How long a request waits for its group's commit before answering 503: well inside the
# providers' own request timeouts, so they hear "retry" rather than time out.
WAIT_SECONDS = 10.0


def inbound_event_insert(values: dict[str, Any]) -> int:
    """Store one webhook's row, committed when this returns; its id.

    Raises django.db.DatabaseError when the row could not be stored.
    """
    alias = router.db_for_write(InboundEvent) or DEFAULT_DB_ALIAS
    connection = connections[alias]
    if (
        settings.WEBHOOK_GROUP_COMMIT
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    ):
        return _writer_for(alias).insert(values)
    return _rows_insert(connection, [values])[0]


def _rows_insert(connection: BaseDatabaseWrapper, rows: list[dict[str, Any]]) -> list[int]:
    """One INSERT of `rows` (autocommit: committed when it returns); their ids, in order.

    Several rows only on PostgreSQL (the group writer); elsewhere one at a time.
    """
    rows = [{**_DEFAULTS, **row} for row in rows]
    if connection.vendor == "postgresql":
        # psycopg adapts these columns' Python values itself; only the JSON needs wrapping
        # (Field.get_db_prep_save on fifteen columns was a visible cost per row).
        def value(row: dict[str, Any], name: str) -> Any:
            return Jsonb(row[name]) if name == "headers" else row[name]

        if len(rows) == 1:
            sql, params = _insert_sql(connection), [value(rows[0], n) for n in COLUMNS]
        else:
            # One array per column: the statement's text is the same for any number of rows,
            # so psycopg converts it once and PostgreSQL plans it once per connection. A
            # VALUES list of 15 placeholders a row made psycopg re-parse a new, long query
            # text for every group: a quarter of a web process's CPU under load (py-spy).
            sql = _unnest_sql(connection)
            params = [[value(row, name) for row in rows] for name in COLUMNS]
        connection.ensure_connection()
        # A plain psycopg cursor binds parameters server-side (Django's ClientCursor quotes
        # them into the SQL text); both statements are prepared once per connection.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as pg_cursor:
            pg_cursor.execute(sql, params, prepare=True)
            # Rows go in in array order, so their ids ascend in that order whatever else
            # takes ids from the sequence meanwhile.
            return sorted(int(row[0]) for row in pg_cursor.fetchall())
    if len(rows) != 1:
        raise ValueError("only PostgreSQL inserts several inbox rows at once")
    fields = _fields()
    params = [
        f.get_db_prep_save(rows[0][name], connection)
        for name, f in zip(COLUMNS, fields, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection), params)
        if connection.features.can_return_columns_from_insert:
            return [int(cursor.fetchone()[0])]
        return [int(cursor.lastrowid)]


_sql_cache: dict[tuple[str, str], str] = {}


def _insert_sql(connection: BaseDatabaseWrapper) -> str:
    """The one-row INSERT."""
    sql = _sql_cache.get((connection.vendor, "one"))
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column_name(f)) for f in _fields())
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        table = quote(InboundEvent._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(column_name(InboundEvent._meta.pk))}"
        _sql_cache[(connection.vendor, "one")] = sql
    return sql


def _unnest_sql(connection: BaseDatabaseWrapper) -> str:
    sql = _sql_cache.get((connection.vendor, "unnest"))
    if sql is None:
        quote = connection.ops.quote_name
        fields = _fields()
        columns = ", ".join(quote(column_name(f)) for f in fields)
        names = ", ".join(f"c{i}" for i in range(len(fields)))
        # Binary: psycopg escapes every element of a text-format array with a regex.
        arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields)
        table = quote(InboundEvent._meta.db_table)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {names} FROM unnest({arrays}) "  # noqa: S608
            f"WITH ORDINALITY AS v({names}, i) ORDER BY v.i "
            f"RETURNING {quote(column_name(InboundEvent._meta.pk))}"
        )
        _sql_cache[(connection.vendor, "unnest")] = sql
    return sql


_fields_cache: "list[Field[Any, Any]]" = []


def _fields() -> "list[Field[Any, Any]]":
    if not _fields_cache:
        # "endpoint_id" is the foreign key's column: its field is "endpoint".
        _fields_cache.extend(
            column_field(InboundEvent, name.removesuffix("_id")) for name in COLUMNS
        )
    return _fields_cache


@dataclass(eq=False)
class _Pending:
    values: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    id: int | None = None
    error: Exception | None = None


class GroupWriter:
    """Per web process and database: writer threads that INSERT queued rows in groups.

    `WEBHOOK_GROUP_WRITERS` writers, each with its own connection: with several, a row that
    arrives while one writer waits for its commit is taken by another at once instead of
    queueing behind that commit. One is the default: on a quiet machine it gave the biggest
    groups and the best rate; on a machine loaded by other work more writers did better
    (bench/README.md).
    """

    def __init__(self, alias: str, writers: int = 1) -> None:
        self.alias = alias
        self.writers = writers
        self._queue: deque[_Pending] = deque()
        # Per writer thread: close requests for that thread's own connection.
        self._closing: dict[int, deque[threading.Event]] = {}
        self._wanted = threading.Condition(threading.Lock())
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def insert(self, values: dict[str, Any]) -> int:
        pending = _Pending(values)
        self._threads_ensure()
        with self._wanted:
            self._queue.append(pending)
            self._wanted.notify()  # one idle writer, if any: the others keep sleeping
        # Raised as DatabaseError, not the OperationalError it may have been: the writer has
        # already retried on a fresh connection, so the view must answer 503 at once
        # rather than retry the whole wait (views._reconnecting retries OperationalError).
        if not pending.done.wait(WAIT_SECONDS):
            # The row may still be committed later; the provider's retry is then a
            # duplicate, which processing records once.
            raise DatabaseError(f"the inbox writer did not commit within {WAIT_SECONDS} s")
        if pending.error is not None:
            raise DatabaseError(f"the inbox writer could not store the row: {pending.error}")
        assert pending.id is not None
        return pending.id

    def _threads_ensure(self) -> None:
        # Checked on every call: a forked web worker inherits the object but not the threads.
        if len(self._threads) == self.writers and all(t.is_alive() for t in self._threads):
            return
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.writers:
                thread = threading.Thread(target=self._loop, name="inbox-writer", daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self, timeout: float = 5.0) -> None:
        """Close the writer threads' database connections (they open new ones when needed)."""
        closed = []
        with self._wanted:
            for thread in self._threads:
                if thread.is_alive() and thread.ident is not None:
                    event = threading.Event()
                    self._closing.setdefault(thread.ident, deque()).append(event)
                    closed.append(event)
            self._wanted.notify_all()
        for event in closed:
            event.wait(timeout)

    def _loop(self) -> None:
        me = threading.get_ident()
        while True:
            with self._wanted:
                while not self._queue and not self._closing.get(me):
                    self._wanted.wait()
                closing = self._closing.pop(me, None)
                group = [self._queue.popleft() for _ in range(min(MAX_GROUP, len(self._queue)))]
            if closing:
                connections[self.alias].close()
                for event in closing:
                    event.set()
            if group:
                self._group_commit(group)

    def _group_commit(self, group: list[_Pending]) -> None:
        connection = connections[self.alias]  # this thread's own connection
        try:
            ids = self._insert_retrying(connection, [p.values for p in group])
        except Exception as exc:
            if len(group) == 1:
                logger.warning("inbox writer: a row was not stored: %s", exc)
                group[0].error = exc
                group[0].done.set()
                return
            # One bad row (say, a value PostgreSQL refuses) must not fail its neighbours:
            # each row once more on its own; only the rows that fail again are refused.
            for pending in group:
                self._group_commit([pending])
            return
        for pending, event_id in zip(group, ids, strict=True):
            pending.id = event_id
            pending.done.set()

    @staticmethod
    def _insert_retrying(connection: BaseDatabaseWrapper, rows: list[dict[str, Any]]) -> list[int]:
        try:
            return _rows_insert(connection, rows)
        except (InterfaceError, OperationalError):
            # A persistent connection that died since the last group (the database
            # restarted): once more on a fresh one before giving up.
            connection.close()
            return _rows_insert(connection, rows)


_writers: dict[str, GroupWriter] = {}
_writers_lock = threading.Lock()


def _writer_for(alias: str) -> GroupWriter:
    writer = _writers.get(alias)
    if writer is None:
        with _writers_lock:
            writer = _writers.setdefault(
                alias, GroupWriter(alias, writers=settings.WEBHOOK_GROUP_WRITERS)
            )
    return writer


def writers_close() -> None:
    """Close every writer's connection: before dropping a database (tests), say."""
    for writer in list(_writers.values()):
        writer.close()
