"""Phase `ranges`: the analytics pages over 24 h, 30 days and 90 days of rollup cells.

Ninety days at 10 M messages a day are 900 M messages, more than this machine can generate
in a run; the pages read only rollup cells, so the cells are generated directly
(`INSERT … SELECT` over generate_series, no Python per row) at the density 10 M messages a
day give (~2.5 k cells an hour, bench/README.md), and the daily tier is built from them by
the production code (`rollup_rebuild._days_rebuild`). A second, wider set stands for 100 M a day:
cells stop growing with messages once every (campaign, provider, channel, operator,
status, error code) of an hour has a message, so what grows is the number of campaigns and
codes in use; it has four times the campaigns, every combination present every hour.

Each page is timed twice in the same run: as served (whole days from the daily tier) and
with the daily tier switched off (every hour from the hourly tier), the baseline.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from . import db
from .config import Config
from .inprocess import _client, _timed
from .loading import _CHANNELS, _ERRORS, _OPERATORS, _PROVIDERS, _STATUS_MIX
from .results import Figure, Results, median, percentile

DAYS = 92  # 90 days and the partial days at either end
RANGES = {"24 h": timedelta(hours=24), "30 d": timedelta(days=30), "90 d": timedelta(days=90)}
# (name, campaigns, share of the hour's combinations present)
VOLUMES = [("10 M/day", 5, 0.9), ("100 M/day", 20, 1.0)]
_DELIVERED = ("delivered", "read", "answered")


def _combinations(campaigns: int) -> list[tuple[Any, ...]]:
    """Every (campaign, provider, channel, operator, status, error code) traffic can take."""
    found = []
    for campaign in range(campaigns):
        for provider, _ in _PROVIDERS:
            for channel, _ in _CHANNELS:
                for status, _, _ in _STATUS_MIX[channel]:
                    for code in _ERRORS.get(status, [""]):
                        for operator, _ in _OPERATORS:
                            found.append((campaign, provider, channel, operator, status, code))
    return found


def cells_load(*, campaigns: int, share: float, now: datetime) -> int:
    """Replace both tiers with generated hourly cells (and their daily sums); returns the
    number of hourly cells."""
    from django.db import connection

    from deliveries.models import ROLLUP_CELL_KEY, Campaign
    from deliveries.rollup_rebuild import _days_rebuild

    ids = [
        Campaign.objects.get_or_create(ref_prefix=f"bench_{i}_", defaults={"name": f"Bench {i}"})[
            0
        ].pk
        for i in range(campaigns)
    ]
    rows = ", ".join(
        f"({ids[c]}, '{p}', '{ch}', '{o}', '{s}', '{e}', {s in _DELIVERED})"
        for c, p, ch, o, s, e in _combinations(campaigns)
    )
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE deliveries_deliveryrollup, deliveries_deliveryrollupdaily")
        # Built once after the load: maintaining them row by row took several times longer.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
            ["deliveries_deliveryrollup", "deliveries_deliveryrollup_pkey"],
        )
        indexes = cursor.fetchall()
        cursor.execute("ALTER TABLE deliveries_deliveryrollup DROP CONSTRAINT rollup_cell")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        # Every value interpolated is a constant of this module or a generated id.
        cursor.execute(
            f"""
            INSERT INTO deliveries_deliveryrollup (bucket, campaign_id, provider, channel,
                operator, status, error_code, messages, call_seconds, converted, lat_04, lat_06,
                lat_09)
            SELECT hour, c, p, ch, o, s, e, n, CASE WHEN ch = 'voice' THEN n * 40 ELSE 0 END, 0,
                CASE WHEN delivered THEN n / 2 END, CASE WHEN delivered THEN n - n / 2 - n / 8 END,
                CASE WHEN delivered THEN n / 8 END
            FROM (
                SELECT hour, v.*, 1 + (random() * 200)::int AS n
                FROM generate_series(%s::timestamptz, %s::timestamptz, interval '1 hour') AS hour
                CROSS JOIN (VALUES {rows}) AS v(c, p, ch, o, s, e, delivered)
                WHERE random() < %s
            ) AS drawn
            """,  # noqa: S608
            [end - timedelta(days=DAYS), end, share],
        )
        hourly = int(cursor.rowcount)
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for name, definition in indexes:
            if name == "rollup_cell":
                cursor.execute(
                    "ALTER TABLE deliveries_deliveryrollup ADD CONSTRAINT rollup_cell UNIQUE "
                    f"({', '.join(ROLLUP_CELL_KEY)})"
                )
            else:
                cursor.execute(definition)
        _days_rebuild()
        cursor.execute("VACUUM ANALYZE deliveries_deliveryrollup")
        cursor.execute("VACUUM ANALYZE deliveries_deliveryrollupdaily")
    return hourly


@contextmanager
def hours_only() -> Iterator[None]:
    """The reads with the daily tier switched off: the baseline."""
    from deliveries import analytics, comparison, rollup_reads

    tiered = rollup_reads.rollup_cells

    def hourly(**kwargs: Any) -> Any:
        return tiered(**{**kwargs, "days": False})

    with (
        mock.patch.object(analytics, "rollup_cells", hourly),
        mock.patch.object(comparison, "rollup_cells", hourly),
        mock.patch.object(rollup_reads, "rollup_cells", hourly),
    ):
        yield


def _pages(since: datetime, until: datetime, campaign: int) -> list[tuple[str, str]]:
    from deliveries.slices import Slice

    query = Slice(since=since, until=until).query()
    api = f"since={since.isoformat()}&until={until.isoformat()}".replace("+", "%2B")
    return [
        ("dashboard", f"/dashboard/?{query}"),
        ("campaign list", f"/campaigns/?{query}"),
        ("campaign page", f"/campaigns/{campaign}/?{query}"),
        ("/compare/", f"/compare/?{query}"),
        ("stats API", f"/api/v1/stats/?{api}"),
        ("compare API", f"/api/v1/compare/?{api}"),
    ]


def ranges_run(config: Config, results: Results) -> None:
    from deliveries.models import Campaign, DeliveryRollupDaily

    now = datetime.now(tz=UTC)
    volumes = VOLUMES[:1] if config.quick else VOLUMES
    client = _client()
    for volume, campaigns, share in volumes:
        started = time.monotonic()
        hourly = cells_load(campaigns=campaigns, share=share, now=now)
        daily = DeliveryRollupDaily.objects.count()
        seconds = time.monotonic() - started
        print(f"    {volume}: {hourly:,} hourly and {daily:,} daily cells in {seconds:.0f} s")
        results.extra.setdefault("ranges_load", {})[volume] = {
            "hourly_cells": hourly,
            "daily_cells": daily,
            "seconds": round(seconds, 1),
        }
        campaign = Campaign.objects.get(ref_prefix="bench_0_").pk
        db.checkpoint()
        if volume == VOLUMES[0][0]:
            apply_cost(results, now=now)
        for label, length in RANGES.items():
            for name, url in _pages(now - length, now, campaign):
                _figure(config, results, client, f"{name} {label} at {volume}", url)


def _figure(config: Config, results: Results, client: Any, name: str, url: str) -> None:
    get: Callable[[], Any] = lambda: client.get(url, secure=True)  # noqa: E731
    status = get().status_code
    if status != 200:
        results.add(Figure("ranges", name, None, "ms", note=f"GET {url} answered {status}"))
        return
    samples = _timed(get, config.analytics_requests)
    with hours_only():
        # Few samples: at 90 days a request reads ~2.2 M hourly cells and takes seconds.
        baseline = _timed(get, config.ranges_baseline_requests)
    p95, base = percentile(samples, 95), median(baseline)
    results.add(
        Figure(
            "ranges",
            f"{name} p95",
            p95,
            "ms",
            "hourly tier only, p50",
            base,
            base / p95,
            "≤ 50 ms",
            p95 <= 50,
            note=f"{len(samples)} requests in process; p50 {median(samples):.0f} ms",
        )
    )


def apply_cost(results: Results, *, now: datetime, rounds: int = 5) -> None:
    """What the daily tier adds to applying a batch: `rollups_apply` for 5,000 messages
    moving from sent to delivered over two hours of the generated combinations, with and
    without the daily upsert, in transactions rolled back (the tables stay as generated)."""
    import random

    from django.db import transaction

    from deliveries import rollups

    rng = random.Random(7)
    combos = [c for c in _combinations(5) if c[4] == "sent"]
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    changes = []
    for _ in range(5000):
        campaign, provider, channel, operator, _status, code = rng.choice(combos)
        bucket = hour - timedelta(hours=rng.randint(1, 2))
        cell = rollups.Cell(bucket, campaign, provider, channel, operator, "sent", code)
        after = cell._replace(status="delivered")
        changes.append(
            rollups.MessageChange(rollups.Counted(cell, 0), rollups.Counted(after, 0, 5))
        )

    def timed() -> float:
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            with transaction.atomic():
                rollups.rollups_apply(changes)
                transaction.set_rollback(True)
            best = min(best, (time.perf_counter() - started) * 1000)
        return best

    both = timed()
    with mock.patch.object(rollups, "_days_of", lambda *args: ([], {}, {})):
        hourly = timed()
    results.add(
        Figure(
            "ranges",
            "rollups_apply of a 5,000-message batch, both tiers",
            both,
            "ms",
            "hourly tier only",
            hourly,
            both / hourly,
            note=f"best of {rounds}, rolled back; campaign ids as generated",
        )
    )
