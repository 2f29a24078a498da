"""The apply path's vendor-specific SQL: claiming dedup keys, reserving messages with
advisory locks, and creating-or-locking messages in one statement.

Each has a PostgreSQL statement (arrays bound server-side, locks in one global order) and
a plain fallback for SQLite, which has one writer at a time.
"""

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from .bulk import column_field, column_name, server_cursor
from .models import Message, ReportKey

MessageKey = tuple[str, str]  # (provider, provider message id)


def report_keys_claim(keys: Sequence[str], *, now: datetime) -> set[str]:
    """Record `keys` as seen and return those that were seen before (the duplicates).

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` both checks and reserves. Call it in
    the transaction that records the reports, with their messages locked: every key of a
    message is claimed under that message's lock, so two batches never wait on each
    other's keys, and a rolled-back batch releases its keys with everything else.
    """
    distinct = list(dict.fromkeys(keys))
    table = connection.ops.quote_name(ReportKey._meta.db_table)
    if connection.vendor == "postgresql":
        # One array parameter bound server-side: a VALUES list of 1,000 parameters was
        # quoted into the statement by psycopg in Python.
        with server_cursor(connection) as cursor:
            cursor.execute(
                f"INSERT INTO {table} (dedup_key, received_at) "  # noqa: S608 (quoted)
                "SELECT k, %s FROM unnest(%s::varchar[]) WITH ORDINALITY AS u(k, i) ORDER BY i "
                "ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key",
                [now, distinct],
            )
            return set(distinct) - {row[0] for row in cursor.fetchall()}
    received_at = connection.ops.adapt_datetimefield_value(now)
    inserted: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(distinct), _CLAIM_CHUNK):
            chunk = distinct[start : start + _CLAIM_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (dedup_key, received_at) VALUES "  # noqa: S608 (quoted)
                + ", ".join(["(%s, %s)"] * len(chunk))
                + " ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key",
                [value for key in chunk for value in (key, received_at)],
            )
            inserted.update(row[0] for row in cursor.fetchall())
    return set(distinct) - inserted


# Keys per INSERT: two parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535.
_CLAIM_CHUNK = 2000


def messages_reserve(
    *, keys: Collection[MessageKey], wait_for: Collection[MessageKey] = ()
) -> set[MessageKey]:
    """Reserve messages for the rest of the transaction; return the keys now reserved.

    Keys that another transaction has reserved are skipped, not waited for, so a worker
    can leave their reports to a later batch instead of idling until that transaction
    commits (neighbouring batches share messages: a message's reports arrive seconds
    apart). `wait_for` keys are waited for, taken before any other and in one global
    order, so two callers never deadlock. Reserve before `reports_apply` locks the rows:
    a reservation is a PostgreSQL transaction-level advisory lock on a 64-bit hash of the
    key, and one taken inside a savepoint that rolls back is released with it.

    Every reserved key holds an entry of PostgreSQL's shared lock table until commit
    (max_locks_per_transaction × max_connections entries in all, 6,400 by default).
    SQLite has one writer at a time: everything is reserved.
    """
    if connection.vendor != "postgresql":
        return {*keys, *wait_for}
    by_lock: dict[int, list[MessageKey]] = {}
    for key in {*keys, *wait_for}:
        by_lock.setdefault(_lock_id(key), []).append(key)
    waited = sorted({_lock_id(key) for key in wait_for})
    reserved = set(waited)
    with server_cursor(connection) as cursor:
        for lock in waited:  # usually one: the messages of the oldest event in the batch
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
        tried = [lock for lock in by_lock if lock not in reserved]
        if tried:
            cursor.execute(
                "SELECT h FROM unnest(%s::bigint[]) AS h WHERE pg_try_advisory_xact_lock(h)",
                [tried],
            )
            reserved.update(row[0] for row in cursor.fetchall())
    return {key for lock in reserved for key in by_lock[lock]}


def _lock_id(key: MessageKey) -> int:
    """A message's advisory lock: 64 bits of a hash, signed as PostgreSQL's bigint.

    Two messages sharing a hash would only be reserved together; nothing else in the
    project takes advisory locks on a single bigint.
    """
    digest = hashlib.blake2b(f"{key[0]}\x1f{key[1]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def messages_lock(keys: set[MessageKey], *, now: datetime) -> dict[MessageKey, dict[str, Any]]:
    """The messages for `keys` as rows, created if missing, locked until the transaction ends.

    One `INSERT … ON CONFLICT DO UPDATE` in key order creates the missing rows and locks the
    existing ones alike, so two batches that share messages take their locks in one global
    order and cannot deadlock. (Locking existing rows first and inserting the missing ones
    after deadlocked two workers on overlapping batches: each held a row the other was
    about to insert or lock.) On PostgreSQL the same statement returns the rows.
    """
    ordered = sorted(keys)
    if connection.vendor == "postgresql":
        return {(row["provider"], row["message_id"]): row for row in _messages_upsert(ordered, now)}
    # SQLite takes the database's write lock at BEGIN (IMMEDIATE): no row order to keep.
    Message.objects.bulk_create(
        [Message(provider=provider, message_id=message_id) for provider, message_id in ordered],
        update_conflicts=True,
        unique_fields=["provider", "message_id"],
        update_fields=["provider"],
    )
    by_provider: dict[str, list[str]] = {}
    for provider, message_id in ordered:
        by_provider.setdefault(provider, []).append(message_id)
    found: dict[MessageKey, dict[str, Any]] = {}
    for provider, message_ids in by_provider.items():
        rows = Message.objects.filter(provider=provider, message_id__in=message_ids)
        found |= {(r["provider"], r["message_id"]): r for r in rows.values(*message_columns())}
    return found


def _messages_upsert(ordered: list[MessageKey], now: datetime) -> list[dict[str, Any]]:
    """`INSERT … SELECT FROM unnest(keys) ORDER BY … ON CONFLICT DO UPDATE … RETURNING`.

    Two array parameters instead of a VALUES list: psycopg quotes a 1,000-parameter
    statement in Python, which cost more than the statement itself.
    """
    columns = message_columns()
    # Every other column gets its model default, as Message(provider=…, message_id=…) would.
    fields = [column_field(Message, name) for name in columns[3:]]
    defaults = [now if f.name in ("created_at", "updated_at") else f.get_default() for f in fields]
    qn = connection.ops.quote_name
    table = qn(Message._meta.db_table)
    casts = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
    sql = (
        f"INSERT INTO {table} ({qn('provider')}, {qn('message_id')}, "  # noqa: S608
        f"{', '.join(qn(column_name(f)) for f in fields)}) "
        f"SELECT k.p, k.m, {casts} FROM unnest(%s::varchar[], %s::varchar[]) "
        "WITH ORDINALITY AS k(p, m, i) ORDER BY k.i "
        f"ON CONFLICT ({qn('provider')}, {qn('message_id')}) "
        f"DO UPDATE SET {qn('provider')} = EXCLUDED.{qn('provider')} "  # the point is the lock
        f"RETURNING {', '.join(qn(column_name(column_field(Message, c))) for c in columns)}"
    )
    params = [*defaults, [p for p, _ in ordered], [m for _, m in ordered]]
    with server_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@cache
def message_columns() -> list[str]:
    """Every column of Message by attribute name: id, provider, message_id, then the rest."""
    names = [f.attname for f in Message._meta.concrete_fields]
    rest = [n for n in names if n not in ("id", "provider", "message_id")]
    return ["id", "provider", "message_id", *rest]
