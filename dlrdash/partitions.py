"""Monthly time partitions for the append-mostly event tables, on PostgreSQL only.

`webhooks_inboundevent` and `deliveries_statusevent` are `PARTITION BY RANGE (received_at)`
in PostgreSQL (their migrations convert them), with one partition per calendar month (UTC),
named `<table>_pYYYYMM`, and a `<table>_default` partition that takes whatever falls outside
the months created, so an insert never fails. The primary key is `(id, received_at)` in the
database, since a unique index on a partitioned table must include the partition key; Django
keeps `id` as the model's primary key, and ids stay unique because they come from one
identity sequence.

Retention drops whole months (`partitions_drop`) instead of deleting row by row; beat creates
the coming months ahead of time (`partitions_ensure`). On SQLite the tables stay plain and
every function here is a no-op.
"""

# Table and partition names are interpolated into the SQL below: they come from model
# metadata and pg_catalog, never from input. Values are always parameters.
# ruff: noqa: S608

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

PARTITION_COLUMN = "received_at"
# Months created ahead of the current one, so a slow or stopped beat has two months'
# notice before rows start landing in the default partition.
MONTHS_AHEAD = 2
# A maintenance statement that has to wait longer than this for its lock gives up (and
# is retried the next day) rather than queue the webhook inserts behind it.
LOCK_TIMEOUT = "5s"

_MONTH_SUFFIX = re.compile(r"_p(\d{4})(\d{2})$")

logger = logging.getLogger(__name__)


def month_start(when: datetime) -> datetime:
    when = when.astimezone(UTC)
    return datetime(when.year, when.month, 1, tzinfo=UTC)


def month_add(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def is_postgresql(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def partitioned_tables(using: str = "default") -> list[str]:
    """The tables of the current schema that are partitioned (none on SQLite)."""
    if not is_postgresql(using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            WHERE c.relnamespace = current_schema()::regnamespace
            ORDER BY c.relname
            """
        )
        return [row[0] for row in cursor.fetchall()]


def partition_months(table: str, using: str = "default") -> dict[datetime, str]:
    """The monthly partitions of `table`: first day of the month → partition name."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = {}
    for name in names:
        if match := _MONTH_SUFFIX.search(name):
            months[datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)] = name
    return months


def partitions_ensure(
    *, now: datetime | None = None, months_ahead: int = MONTHS_AHEAD, using: str = "default"
) -> list[str]:
    """Create the partitions of the current month and the next `months_ahead` for every
    partitioned table that lacks them. Idempotent; returns the partitions created."""
    first = month_start(now or timezone.now())
    created = []
    for table in partitioned_tables(using):
        existing = partition_months(table, using)
        for offset in range(months_ahead + 1):
            month = month_add(first, offset)
            if month in existing:
                continue
            try:
                created.append(month_partition_create(table, month, using=using))
            except OperationalError as exc:
                if not _lock_timed_out(exc):
                    raise
                # The months ahead leave time to retry tomorrow.
                logger.error("could not create the %s partition of %s", f"{month:%Y-%m}", table)
    return created


def month_partition_create(table: str, month: datetime, *, using: str = "default") -> str:
    """Add the partition for `month`, moving in any rows the default partition holds for it.

    Created as a plain table and then attached: ATTACH takes a weaker lock on the parent than
    CREATE TABLE … PARTITION OF (inserts go on), and PostgreSQL refuses to add a month whose
    rows already sit in the default partition, so those are moved first, in one transaction.
    """
    name = partition_name(table, month)
    bounds = [month, month_add(month, 1)]
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{table}_default" '
            f'WHERE "{PARTITION_COLUMN}" >= %s AND "{PARTITION_COLUMN}" < %s RETURNING *) '
            f'INSERT INTO "{name}" SELECT * FROM moved',
            bounds,
        )
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            bounds,
        )
    logger.info("created partition %s", name)
    return name


def partitions_drop(
    table: str, *, before: datetime, keep_if: str | None = None, using: str = "default"
) -> list[str]:
    """Drop the monthly partitions of `table` whose every row is older than `before`.

    `keep_if` is an SQL condition: a partition holding any row that matches it is kept
    (the inbox keeps months with pending events). Row-level retention deals with the rest
    of the window. Returns the partitions dropped; a no-op on SQLite.
    """
    if table not in partitioned_tables(using):
        return []
    dropped = []
    for month, name in sorted(partition_months(table, using).items()):
        if month_add(month, 1) > before:
            break
        if keep_if and _any_row(name, keep_if, using):
            continue  # cheap check first, so a kept month does not take the lock below
        try:
            if _partition_detach_drop(table, name, keep_if, using):
                dropped.append(name)
        except OperationalError as exc:
            if not _lock_timed_out(exc):
                raise
            logger.warning("could not drop %s now (lock timeout); retrying tomorrow", name)
    if dropped:
        logger.info("dropped partitions %s", ", ".join(dropped))
    return dropped


def _lock_timed_out(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == "55P03"  # lock_not_available


def _partition_detach_drop(table: str, name: str, keep_if: str | None, using: str) -> bool:
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
        # Checked again now that the month is detached: a row may have turned pending
        # (reprocessing) between the first check and the lock.
        if keep_if and _any_row(name, keep_if, using):
            transaction.set_rollback(True, using=using)
            return False
        cursor.execute(f'DROP TABLE "{name}"')
    return True


def _any_row(table: str, condition: str, using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {condition})')
        return bool(cursor.fetchone()[0])


# --- Migrations -----------------------------------------------------------------------------


def table_partition(
    connection: BaseDatabaseWrapper, table: str, *, keep_months: int, now: datetime | None = None
) -> None:
    """Rebuild `table` as a monthly-partitioned table, rows, sequence and indexes included.

    Partitions are created from the oldest row's month (but no more than `keep_months`
    back: older rows are past retention and wait in the default partition for row-level
    pruning) through `MONTHS_AHEAD` months ahead of `now`.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min("{PARTITION_COLUMN}") FROM "{table}"')
        oldest = cursor.fetchone()[0] or now
        current = month_start(now)
        first = max(month_start(oldest), month_add(current, -keep_months))
        months = []
        month = first
        while month <= month_add(current, MONTHS_AHEAD):
            months.append(month)
            month = month_add(month, 1)
        _table_rebuild(cursor, table, months=months)


def table_unpartition(connection: BaseDatabaseWrapper, table: str) -> None:
    """The reverse of `table_partition`: one plain table with `id` as its primary key."""
    with connection.cursor() as cursor:
        _table_rebuild(cursor, table, months=None)


def _table_rebuild(cursor: CursorWrapper, table: str, *, months: Iterable[datetime] | None) -> None:
    """Create a new `table` (partitioned by month when `months` is given, else plain) beside
    the old one, move the rows, carry the identity sequence on, recreate every index and
    foreign key under its own name, and drop the old table. Runs in the migration's
    transaction, holding the old table exclusively."""
    old = f"{table}__old"
    cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'f', 'u', 'x')",
        [table],
    )
    constraints = cursor.fetchall()
    if any(kind in "ux" for _, kind, _ in constraints):
        # A unique constraint cannot carry over to a partitioned table without the
        # partition key: the model must drop it first (as StatusEvent.dedup_key did).
        raise RuntimeError(f"{table} has unique constraints; cannot rebuild it partitioned")
    (primary_key,) = [name for name, kind, _ in constraints if kind == "p"]
    foreign_keys = [(name, definition) for name, kind, definition in constraints if kind == "f"]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()

    # Free every name (table, sequence, indexes) for the new table.
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{old}_id_seq"')
    cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{primary_key}" TO "{old}_pkey"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')

    partition_by = f' PARTITION BY RANGE ("{PARTITION_COLUMN}")' if months is not None else ""
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        f"INCLUDING IDENTITY INCLUDING STORAGE){partition_by}"
    )
    key = f'"id", "{PARTITION_COLUMN}"' if months is not None else '"id"'
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{primary_key}" PRIMARY KEY ({key})')
    if months is not None:
        cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        for month in months:
            cursor.execute(
                f'CREATE TABLE "{partition_name(table, month)}" PARTITION OF "{table}" '
                "FOR VALUES FROM (%s) TO (%s)",
                [month, month_add(month, 1)],
            )
    cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    # Ids go on from where the old sequence stood, never reusing one.
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), last_value, is_called) "
        f'FROM "{old}_id_seq"',
        [table],
    )
    for _, definition in indexes:
        cursor.execute(definition)  # names the table by its (new) name
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f'DROP TABLE "{old}"')
    cursor.execute(f'ANALYZE "{table}"')
