"""Phase `costs` (BENCH_PHASES=costs): importing a provider's bill and the costs page.

- Import rate: a Plivo MDR file of BENCH_IMPORT_ROWS rows (written to a temporary file
  first, not timed) through `billing.imports.bill_import`, as `manage.py import_bill` runs
  it: hashing, streamed parsing, batched inserts. Rows per second, end to end.
- `/costs/` p95 over N generated messages, priced server-side and rolled up by
  `spend_rebuild`, beside a naive GROUP BY over `Message` computing the same breakdowns.
"""

import os
import random
import tempfile
import time
from pathlib import Path

from . import db
from .config import Config
from .inprocess import _client, _timed
from .loading import messages_load
from .results import Figure, Results, median, percentile


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def costs_run(config: Config, results: Results) -> None:
    rows = _int("BENCH_IMPORT_ROWS", 100_000 if config.quick else 1_000_000)
    import_run(results, rows)
    n = _int("BENCH_COSTS_MESSAGES", config.message_sizes[0])
    page_run(config, results, n)


def _mdr_write(path: Path, rows: int) -> None:
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as out:
        out.write("message_uuid,message_time,message_direction,message_state,units,total_amount\n")
        for i in range(rows):
            units = rng.choice((1, 1, 1, 2, 3))
            out.write(
                f"{i:08x}-5e4f-4a3b-8c2d-1e0f9a8b7c6d,2026-11-{1 + i % 28:02d} "
                f"{i % 24:02d}:{i % 60:02d}:07.123456+05:30,outbound,delivered,{units},"
                f"{units * 0.0035:.5f}\n"
            )


def import_run(results: Results, rows: int) -> None:
    from billing.imports import bill_import

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mdr.csv"
        _mdr_write(path, rows)
        size = path.stat().st_size
        db.checkpoint()
        started = time.perf_counter()
        with path.open("rb") as stream:
            record, _ = bill_import(provider="plivo", file_format="plivo", stream=stream)
        seconds = time.perf_counter() - started
    assert record.state == "complete" and record.rows_imported == rows, record.error
    rate = rows / seconds
    results.add(
        Figure(
            "costs",
            f"bill import rate ({rows:,} Plivo MDR rows)",
            rate,
            "rows/s",
            target="≥ 20,000 rows/s",
            met=rate >= 20_000,
            note=f"{size / 1e6:.0f} MB file, {seconds:.1f} s end to end (hash, parse, insert)",
        )
    )


def _prices_set() -> None:
    """Price the generated messages as the providers would have: per segment, one currency
    per provider, a share unknown."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE deliveries_message SET segments = 1 + (id % 10 = 0)::int + (id % 7 = 0)::int,"
            " encoding = CASE WHEN id % 5 = 0 THEN 'ucs2' WHEN id % 5 = 1 THEN 'gsm7' ELSE '' END,"
            " cost_source = CASE WHEN id % 50 = 0 THEN 'unknown' ELSE 'reported' END,"
            " cost_currency = CASE WHEN id % 50 = 0 THEN '' WHEN provider = 'smstake' THEN 'INR'"
            "   ELSE 'USD' END,"
            " cost = CASE WHEN id % 50 = 0 THEN NULL WHEN provider = 'smstake' THEN 0.115000"
            "   ELSE 0.003500 END * (1 + (id % 10 = 0)::int + (id % 7 = 0)::int)"
        )


def naive_spend() -> dict[str, list[object]]:
    """The costs page's breakdowns straight from Message with GROUP BY: the baseline."""
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncDate

    from deliveries.models import Message

    messages = Message.objects.order_by().exclude(cost=None)
    out: dict[str, list[object]] = {}
    for dimension in ("campaign_id", "provider", "operator", "channel"):
        out[dimension] = list(
            messages.values(dimension, "cost_currency", "status").annotate(
                amount=Sum("cost"), n=Count("id"), segments=Sum("segments")
            )
        )
    out["day"] = list(
        messages.annotate(day=TruncDate("created_at"))
        .values("day", "cost_currency", "status")
        .annotate(amount=Sum("cost"), n=Count("id"))
    )
    return out


def page_run(config: Config, results: Results, n: int) -> None:
    from billing.spend import spend_rebuild
    from deliveries.rollup_rebuild import rollups_rebuild

    steps = messages_load(n, config.db_url)
    started = time.monotonic()
    _prices_set()
    rollups_rebuild()
    cells = spend_rebuild()
    print(
        f"    generated {n:,} messages in {sum(steps.values()):.0f} s; priced and rolled up "
        f"({cells:,} spend cells) in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    size = f"{n / 1e6:g} M" if n >= 1e6 else f"{n:,}"
    db.checkpoint()
    naive = _timed(naive_spend, config.naive_repeats)
    client = _client()
    url = "/costs/?range=7d"
    status = client.get(url, secure=True).status_code
    assert status == 200, status
    samples = _timed(lambda: client.get(url, secure=True), config.analytics_requests)
    p95 = percentile(samples, 95)
    results.add(
        Figure(
            "costs",
            f"/costs/ p95 at {size}",
            p95,
            "ms",
            "naive GROUP BY p50",
            median(naive),
            median(naive) / p95,
            "≤ 50 ms",
            p95 <= 50,
            note=f"{len(samples)} requests, in-process test client; p50 {median(samples):.1f} ms;"
            f" naive over {len(naive)} runs",
        )
    )
