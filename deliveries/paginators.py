"""Pagination for the admin's big tables (messages, history, webhook log): never a COUNT(*)
over the whole table or over a large filtered share of it."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Up to this many rows a list is counted exactly (a COUNT over at most this many rows, read
# through whatever index serves the filter); past it the planner's estimate is shown.
EXACT_COUNT_LIMIT = 1000


class EstimatedCountPaginator(Paginator):
    """Counts at most `EXACT_COUNT_LIMIT` rows, then estimates.

    COUNT(*) reads every matching row: on PostgreSQL the unfiltered changelist would read
    the whole table on every visit, and a filter such as "delivered" most of it. The
    unfiltered table is counted from the statistics (`pg_class.reltuples`); a filtered list
    by counting its first rows only (`SELECT COUNT(*) FROM (… LIMIT n + 1)`), and when there
    are more, by the planner's row estimate for the query. The page links are then
    approximate for long lists, which nobody pages through to the end.
    """

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if not isinstance(objects, QuerySet):
            return super().count
        if not objects.query.where:
            estimate = _table_estimate(objects.db, objects.model._meta.db_table)
            if estimate > EXACT_COUNT_LIMIT:
                return estimate
        counted = objects.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if counted <= EXACT_COUNT_LIMIT:
            return counted
        return max(_query_estimate(objects), counted)


def bounded_count(objects: QuerySet) -> int:
    """`EstimatedCountPaginator`'s count of any queryset (the API's limit/offset lists)."""
    return int(EstimatedCountPaginator(objects, 1).count)


def _table_estimate(alias: str, table: str) -> int:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else 0


def _query_estimate(objects: QuerySet) -> int:
    """The planner's estimate of the rows `objects` matches (0 where there is none)."""
    if connections[objects.db].vendor != "postgresql":
        return 0
    plan = json.loads(objects.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])
