"""Phase 2 (apply) and the worker half of phase 5 (memory).

N simulated messages' reports are stored as pending inbound events (COPY, as the receiving
view would have stored them), then drained three ways on the same events: the project's
`inbox_drain` in one worker process, the same in two processes at once, and the naive
per-report baseline (bench/naive.py) on the first events. Between runs the deliveries
tables are emptied and the events made pending again.
"""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from . import db, profile
from .config import Config
from .results import Figure, Results


def events_store(messages: int) -> int:
    """Simulated traffic for `messages` messages, stored as pending events. Returns count."""
    from django.db import connection

    from deliveries.models import Campaign
    from webhooks.models import WebhookEndpoint
    from webhooks.simulation import CAMPAIGNS, TrafficGenerator

    with connection.cursor() as cursor:
        # The ingest phase's events are not part of this workload.
        cursor.execute("TRUNCATE webhooks_inboundevent")
    for name, prefix in CAMPAIGNS:
        Campaign.objects.get_or_create(ref_prefix=prefix, defaults={"name": name})
    endpoints = {
        provider: WebhookEndpoint.objects.update_or_create(
            slug=f"bench-apply-{provider}", defaults={"provider": provider, "secrets": ["x"]}
        )[0].pk
        for provider in ("smstake", "wavix")
    }
    requests = TrafficGenerator(seed=42).requests(messages)
    now = datetime.now(tz=UTC)
    columns = (
        "endpoint_id, received_at, method, headers, query_string, body, auth_ok, auth_error, "
        "response_code, state, outcome, error, report_count, attempts"
    )
    headers = json.dumps({"content-type": "application/json"})
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY webhooks_inboundevent ({columns}) FROM STDIN") as copy,
    ):
        for request in requests:
            copy.write_row(
                (
                    endpoints[request.provider],
                    now,
                    "POST",
                    headers,
                    "",
                    request.body,
                    True,
                    "",
                    200,
                    "pending",
                    "",
                    "",
                    0,
                    0,
                )
            )
    return len(requests)


def events_reset() -> None:
    """Back to the start: no messages, every event pending, statistics fresh, a checkpoint."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE deliveries_statusevent, deliveries_reportkey, deliveries_message "
            "RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            "UPDATE webhooks_inboundevent SET state = 'pending', outcome = '', error = '', "
            "report_count = 0, attempts = 0, next_attempt_at = NULL, processed_at = NULL, "
            "processing_ms = NULL WHERE auth_ok"
        )
        cursor.execute("VACUUM ANALYZE webhooks_inboundevent")
        cursor.execute("ANALYZE deliveries_message")
    db.checkpoint()


def drains_run(
    config: Config, mode: str, processes: int, limit: int = 0, seconds: int = 0
) -> dict[str, Any]:
    duration = str(seconds or config.apply_seconds)
    command = [sys.executable, "-m", "bench.drain", mode, str(limit), duration]
    if config.profile and mode == "project" and processes == 1:
        command = profile.wrap(command, "apply")
    children = [
        subprocess.Popen(command, cwd=db.ROOT, env=db.bench_env(config), stdout=subprocess.PIPE)  # noqa: S603
        for _ in range(processes)
    ]
    # What the draining sessions wait on, sampled every 0.2 s while they run: lock waits
    # between two workers show up here as wait_event_type "Lock".
    waits: dict[str, int] = {}
    aux_started, machine_started = _postgres_aux_cpu(), _machine_busy_cpu()
    window_started = time.monotonic()
    while any(child.poll() is None for child in children):
        for key, count in _session_waits():
            waits[key] = waits.get(key, 0) + count
        time.sleep(0.2)
    aux_cpu = _postgres_aux_cpu() - aux_started
    machine_cores = (_machine_busy_cpu() - machine_started) / (time.monotonic() - window_started)
    outputs = []
    for child in children:
        stdout, _ = child.communicate(timeout=900)
        if child.returncode:
            raise RuntimeError(f"drain worker exited with {child.returncode}")
        # The last JSON line: py-spy, when profiling, prints its own lines too.
        line = [ln for ln in stdout.decode().splitlines() if ln.startswith("{")][-1]
        outputs.append(json.loads(line))
    seconds = max(o["end"] for o in outputs) - min(o["start"] for o in outputs)
    return {
        "seconds": seconds,
        "events": sum(o["events"] for o in outputs),
        "reports": _reports_done(),
        "pending_left": _pending_left(),
        "peak_mb": max(o["peak_kb"] for o in outputs) / 1024,
        "session_waits": waits,
        # CPU seconds over the run: the drain processes, their PostgreSQL backends, the
        # server's background processes (WAL writer, checkpointer, …), and the whole
        # machine (other people's work included) for comparison.
        "worker_cpu": sum(o["cpu_seconds"] for o in outputs),
        "backend_cpu": sum(o["backend_cpu_seconds"] for o in outputs),
        # Runnable but not running: how much of the run other work on the machine took.
        "queued": sum(o["queued_seconds"] for o in outputs),
        "postgres_aux_cpu": aux_cpu,
        "machine_cores": machine_cores,
        "rss_samples": outputs[0]["rss_samples"],
    }


def _postgres_aux_cpu() -> float:
    """CPU seconds of PostgreSQL's background processes (not client backends)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if cmdline.startswith("postgres:") and any(name in cmdline for name in _PG_AUX):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
    return total


_PG_AUX = ("walwriter", "checkpointer", "background writer", "autovacuum", "walsender")


def _machine_busy_cpu() -> float:
    import psutil

    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq


def _cores(run: dict[str, Any]) -> float:
    """Cores the run kept busy: drain processes + their backends + PostgreSQL's own."""
    busy = run["worker_cpu"] + run["backend_cpu"] + run["postgres_aux_cpu"]
    return float(busy / run["seconds"])


def _lock_waits(run: dict[str, Any]) -> int:
    return sum(n for key, n in run["session_waits"].items() if key.startswith("Lock:"))


def _session_waits() -> list[tuple[str, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        # A lock wait is named with the table its statement writes, to tell the workers'
        # waits on messages from their waits on rollup cells.
        cursor.execute(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') || CASE "
            "WHEN wait_event_type = 'Lock' THEN coalesce(' in ' || substring(query FROM "
            "'(?:INSERT INTO|UPDATE|FROM) \"?([a-z_]+)'), '') ELSE '' END, count(*) "
            "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
            "AND pid <> pg_backend_pid() GROUP BY 1"
        )
        return [(str(key), int(count)) for key, count in cursor.fetchall()]


def _pending_left() -> int:
    from webhooks.models import InboundEvent

    return InboundEvent.objects.filter(state=InboundEvent.State.PENDING).count()


def _reports_done() -> int:
    from django.db.models import Sum

    from webhooks.models import InboundEvent

    done = InboundEvent.objects.filter(state=InboundEvent.State.DONE)
    return int(done.aggregate(n=Sum("report_count"))["n"] or 0)


def apply_run(config: Config, results: Results) -> None:
    started = time.monotonic()
    count = events_store(config.apply_messages)
    print(f"    stored {count:,} events in {time.monotonic() - started:.1f} s", flush=True)
    runs: dict[str, dict[str, Any]] = {}
    for name, mode, processes, limit in (
        ("project, 1 worker", "project", 1, 0),
        ("project, 2 workers", "project", 2, 0),
        ("naive, 1 worker", "naive", 1, config.naive_events),
    ):
        events_reset()
        run = drains_run(config, mode, processes, limit)
        run["rate"] = run["reports"] / run["seconds"]
        runs[name] = run
        print(
            f"    {name:<20} {run['events']:>8,} events {run['reports']:>8,} reports "
            f"{run['seconds']:>6.1f} s ({run['pending_left']:,} left) "
            f"{run['rate']:>7.0f} reports/s "
            f"peak RSS {run['peak_mb']:.0f} MB; session waits {run['session_waits']}",
            flush=True,
        )
        print(
            f"    {'':<20} CPU s: workers {run['worker_cpu']:.1f}, their backends "
            f"{run['backend_cpu']:.1f}, PostgreSQL background {run['postgres_aux_cpu']:.1f} "
            f"= {_cores(run):.2f} cores busy; whole machine "
            f"{run['machine_cores']:.2f} cores "
            f"(load {[round(x, 1) for x in os.getloadavg()]}); workers and backends waited "
            f"{run['queued']:.1f} s for a core",
            flush=True,
        )
    results.extra["apply_runs"] = runs
    if config.profile:
        results.extra["profile_apply"] = profile.summary("apply")
    one, two, naive = runs["project, 1 worker"], runs["project, 2 workers"], runs["naive, 1 worker"]
    ratio = one["rate"] / naive["rate"]
    results.add(
        Figure(
            "apply",
            "reports/s, 1 worker (inbox_drain)",
            one["rate"],
            "rep/s",
            "naive per-report ORM",
            naive["rate"],
            ratio,
            "≥ 8,000/s and ≥ 5× naive",
            one["rate"] >= 8000 and ratio >= 5,
            note=(
                f"{one['reports']:,} reports in {one['events']:,} events; naive on the first "
                f"{naive['events']:,} events; each run stops after {config.apply_seconds} s. "
                "Messages, status events and rollups"
            ),
        )
    )
    scale = two["rate"] / one["rate"]
    results.add(
        Figure(
            "apply",
            "reports/s, 2 workers in parallel",
            two["rate"],
            "rep/s",
            "1 worker",
            one["rate"],
            scale,
            "≥ 1.8× one",
            scale >= 1.8,
            note=(
                "two drain processes, PostgreSQL and the rest share the same 2 cores; "
                f"one worker's run kept {_cores(one):.2f} cores busy (worker "
                f"{one['worker_cpu'] / one['seconds']:.2f}, its backend "
                f"{one['backend_cpu'] / one['seconds']:.2f}, PostgreSQL background "
                f"{one['postgres_aux_cpu'] / one['seconds']:.2f}), two workers' "
                f"{_cores(two):.2f}; whole machine (everyone's work) {one['machine_cores']:.2f} / "
                f"{two['machine_cores']:.2f} cores; runnable but waiting for a core "
                f"{one['queued'] / one['seconds']:.2f} / {two['queued'] / two['seconds']:.2f} "
                "of the run's seconds (workers + backends); lock waits sampled "
                f"{_lock_waits(one)} / {_lock_waits(two)}"
            ),
        )
    )
    # CPU per report does not depend on how busy the machine is, unlike rates: it bounds
    # what any number of workers can do on these 2 cores, PostgreSQL included.
    cpu_ms = 1000 * (one["worker_cpu"] + one["backend_cpu"] + one["postgres_aux_cpu"])
    cpu_ms /= max(one["reports"], 1)
    ceiling = 2000 / cpu_ms
    per = {k: 1000 * one[k] / max(one["reports"], 1) for k in ("worker_cpu", "backend_cpu")}
    per["aux"] = 1000 * one["postgres_aux_cpu"] / max(one["reports"], 1)
    results.add(
        Figure(
            "apply",
            "CPU per report, 1 worker (worker + its PostgreSQL)",
            cpu_ms,
            "ms",
            target="context for the rate and the 2-worker ratio",
            note=(
                f"worker {per['worker_cpu']:.3f} ms, its backend {per['backend_cpu']:.3f} ms, "
                f"PostgreSQL background {per['aux']:.3f} ms (/proc CPU times). 2 cores can "
                f"apply at most {ceiling:,.0f} reports/s with any number of workers, "
                f"{ceiling / one['rate']:.2f}× this run's one worker; "
                f"the 1-worker run kept {_cores(one):.2f} cores busy, the 2-worker run "
                f"{_cores(two):.2f}"
            ),
        )
    )
    results.add(
        Figure(
            "memory",
            f"drain worker peak RSS ({one['events']:,}-event backlog)",
            one["peak_mb"],
            "MB",
            target="bounded (batches of INBOX_BATCH_SIZE)",
            note="VmHWM of the single draining process",
        )
    )
