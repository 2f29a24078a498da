"""Pagination for the admin's big tables (messages, history, webhook log)."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap enough to be worth it.
EXACT_COUNT_LIMIT = 100_000


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered table from PostgreSQL's statistics instead of COUNT(*).

    COUNT(*) reads the whole table on PostgreSQL; the unfiltered changelist would pay that
    on every visit. Filtered lists (search, filters, dates) are counted exactly.
    """

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if isinstance(objects, QuerySet) and not objects.query.where:
            estimate = _table_estimate(objects.db, objects.model._meta.db_table)
            if estimate > EXACT_COUNT_LIMIT:
                return estimate
        return super().count


def _table_estimate(alias: str, table: str) -> int:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else 0
