"""The worker's memory on a big backlog: N pending events (1 M by default) stored with COPY,
drained for a bounded time by one worker whose RSS is sampled after every batch.

Draining all of a million events would not fit the suite's time budget; a flat RSS from the
first batch to the last, with the backlog still far from empty, is what shows the worker's
memory does not grow with the backlog (it claims INBOX_BATCH_SIZE events at a time).
"""

import time
from datetime import UTC, datetime
from typing import Any

from . import apply, db
from .config import Config
from .results import Figure, Results

# Distinct messages generated once; the backlog repeats them under new message ids.
_BASE_MESSAGES = 20_000


def backlog_store(total: int) -> int:
    """`total` pending events: simulated traffic, repeated with fresh message ids."""
    from django.db import connection

    from webhooks.models import WebhookEndpoint
    from webhooks.simulation import TrafficGenerator

    base = TrafficGenerator(seed=7).requests(_BASE_MESSAGES)
    # The apply phase's endpoints (bench.apply.events_store made them).
    endpoints = dict(
        WebhookEndpoint.objects.filter(slug__startswith="bench-apply-").values_list(
            "provider", "pk"
        )
    )
    now = datetime.now(tz=UTC)
    columns = (
        "endpoint_id, received_at, method, headers, query_string, body, auth_ok, auth_error, "
        "response_code, state, outcome, error, report_count, attempts"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_inboundevent, deliveries_statusevent, deliveries_reportkey, "
            "deliveries_message, "
            "deliveries_deliveryrollup RESTART IDENTITY CASCADE"
        )
        with cursor.copy(f"COPY webhooks_inboundevent ({columns}) FROM STDIN") as copy:
            for request in base[:total]:
                row = (endpoints[request.provider], now, "POST", "{}", "", request.body)
                copy.write_row((*row, True, "", 200, "pending", "", "", 0, 0))
        # PostgreSQL makes the copies itself (COPY from Python took 17 s per 100 k rows on
        # the loaded machine): the same bodies, "r<n>-" prefixed to every message id.
        replicas = -(-total // len(base)) - 1
        cursor.execute(
            f"INSERT INTO webhooks_inboundevent ({columns}) "  # noqa: S608
            "SELECT endpoint_id, received_at, method, headers, query_string, "
            "convert_to(replace(convert_from(body, 'UTF8'), '\"message_id\": \"', "
            "'\"message_id\": \"r' || g || '-'), 'UTF8'), auth_ok, auth_error, "
            "response_code, state, outcome, error, report_count, attempts "
            "FROM webhooks_inboundevent, generate_series(1, %s) AS g ORDER BY g, id LIMIT %s",
            [replicas, max(total - len(base), 0)],
        )
        cursor.execute("SELECT count(*) FROM webhooks_inboundevent")
        stored = int(cursor.fetchone()[0])
        cursor.execute("VACUUM ANALYZE webhooks_inboundevent")
    db.checkpoint()
    return stored


def backlog_run(config: Config, results: Results) -> None:
    started = time.monotonic()
    stored = backlog_store(config.backlog_events)
    print(
        f"    backlog: stored {stored:,} events in {time.monotonic() - started:.0f} s; "
        f"draining for {config.backlog_seconds} s",
        flush=True,
    )
    run = apply.drains_run(config, "project", 1, seconds=config.backlog_seconds)
    samples: list[Any] = run["rss_samples"]
    first, middle, last = samples[1], samples[len(samples) // 2], samples[-1]
    results.extra["backlog_run"] = run
    print(
        f"    backlog: {run['events']:,} events applied in {run['seconds']:.0f} s "
        f"({run['events'] / run['seconds']:.0f} events/s); RSS after the first batch "
        f"{first[2]} MB, at {middle[1]:,} events {middle[2]} MB, at {last[1]:,} events "
        f"{last[2]} MB; peak {run['peak_mb']:.0f} MB",
        flush=True,
    )
    results.add(
        Figure(
            "memory",
            f"drain worker RSS on a {stored:,}-event backlog",
            last[2],
            "MB",
            "after the first batch",
            first[2],
            last[2] / first[2],
            "bounded (flat while the backlog drains)",
            last[2] <= first[2] * 1.2,
            note=(
                f"RSS after the first batch {first[2]} MB, at {middle[1]:,} events "
                f"{middle[2]} MB, at {last[1]:,} events {last[2]} MB (peak "
                f"{run['peak_mb']:.0f} MB); {run['events']:,} of {stored:,} events applied in "
                f"{run['seconds']:.0f} s, {run['pending_left']:,} left pending"
            ),
        )
    )
