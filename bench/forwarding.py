"""Phase `forwarding`: the three figures of forwarding, each against its own baseline.

1. Apply with one active subscription that matches every report (a `message.status` and a
   `message.final` row per change, written in the apply transaction) against apply with
   none: the apply phase's drain on the same stored events, two rounds each.
2. Outbox delivery: a backlog of pending deliveries (COPY) sent by two worker processes to a
   local receiver (its own process, verifying every request with `standardwebhooks`), for a
   bounded time; the worker's RSS is sampled after every batch.
3. No-DLR detection: messages registered at a steady rate with a 5 s deadline, one process
   scanning as beat's tick does and one sending as a worker does; detection lateness = when
   the scan wrote `message.no_dlr` − the deadline (the figure), and when the receiver got
   it − the deadline (beside it).
"""

import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from . import apply, db
from .config import Config
from .results import Figure, Results

_DEADLINE = 5
_RATE = 1000  # registered messages per second for the no-DLR figure


def forwarding_run(config: Config, results: Results) -> None:
    _apply_ratio(config, results)
    port, secret = _port_and_secret()
    receiver = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.receiver", str(port), secret],
        cwd=db.ROOT,
        env=db.bench_env(config),
        stdout=subprocess.PIPE,
    )
    try:
        assert receiver.stdout and receiver.stdout.readline().strip() == b"listening"
        _delivery_rate(config, results, f"http://127.0.0.1:{port}/dlr", secret)
        _no_dlr_lateness(config, results, f"http://127.0.0.1:{port}/dlr", secret, port)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


def _forwarding_reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE forwarding_delivery, forwarding_deliveryattempt, forwarding_subscription "
            "RESTART IDENTITY"
        )


def _subscription(url: str, secret: str, **fields: Any) -> Any:
    from forwarding.models import Subscription

    return Subscription.objects.create(name="bench", url=url, secrets=[secret], **fields)


def _apply_ratio(config: Config, results: Results) -> None:
    count = apply.events_store(config.apply_messages)
    print(f"    forwarding: {count:,} events stored for the apply comparison", flush=True)
    rates: dict[str, list[float]] = {"none": [], "one": []}
    outbox = 0
    for _ in range(2):
        for name in ("none", "one"):
            apply.events_reset()
            _forwarding_reset()
            if name == "one":
                _subscription(
                    "http://127.0.0.1:9/",
                    "whsec_" + "A" * 32,
                    event_types=["message.status", "message.final"],
                )
            run = apply.drains_run(config, "project", 1)
            rates[name].append(run["reports"] / run["seconds"])
            if name == "one":
                from forwarding.models import Delivery

                outbox = Delivery.objects.count()
            print(f"    apply, {name} subscription: {rates[name][-1]:,.0f} reports/s", flush=True)
    none, one = max(rates["none"]), max(rates["one"])
    results.add(
        Figure(
            "forwarding",
            "apply reports/s, one subscription matching all",
            one,
            "rep/s",
            "apply with no subscription",
            none,
            one / none,
            "≥ 0.9× none",
            one / none >= 0.9,
            note=(
                f"best of two alternating runs each ({[round(r) for r in rates['none']]} vs "
                f"{[round(r) for r in rates['one']]}); the subscription's run wrote {outbox:,} "
                "outbox rows (message.status and message.final) in the apply transactions"
            ),
        )
    )
    _forwarding_reset()


def _backlog_store(total: int, subscription_id: int) -> int:
    """`total` pending deliveries for the existing messages (COPY), due now."""
    from django.db import connection

    now = datetime.now(tz=UTC)
    expires = now + timedelta(hours=72)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM deliveries_message ORDER BY id LIMIT 100000")
        ids = [row[0] for row in cursor.fetchall()]
        columns = (
            "subscription_id, message_id, event_type, status, previous_status, provider_status, "
            "provider_code, error_code, error_message, occurred_at, state, attempts, "
            "next_attempt_at, created_at, expires_at, last_error"
        )
        with cursor.copy(f"COPY forwarding_delivery ({columns}) FROM STDIN") as copy:
            for n in range(total):
                copy.write_row(
                    (
                        subscription_id,
                        ids[n % len(ids)],
                        "message.final",
                        "delivered",
                        "sent",
                        "DELIVRD",
                        "000",
                        "",
                        "",
                        now,
                        "pending",
                        0,
                        now,
                        now,
                        expires,
                        "",
                    )
                )
        cursor.execute("VACUUM ANALYZE forwarding_delivery")
    db.checkpoint()
    return total


def _worker(config: Config, mode: str, seconds: int) -> subprocess.Popen[bytes]:
    env = db.bench_env(config, OUTBOUND_ALLOWED_HOSTS="127.0.0.1")
    command = [sys.executable, "-m", "bench.forwarding_send", mode, str(seconds)]
    return subprocess.Popen(command, cwd=db.ROOT, env=env, stdout=subprocess.PIPE)  # noqa: S603


def _worker_result(worker: subprocess.Popen[bytes]) -> dict[str, Any]:
    stdout, _ = worker.communicate(timeout=900)
    line = [ln for ln in stdout.decode().splitlines() if ln.startswith("{")][-1]
    return dict(json.loads(line))


def _delivery_rate(config: Config, results: Results, url: str, secret: str) -> None:
    from forwarding.models import Delivery

    subscription = _subscription(url, secret, event_types=["message.final"])
    started = time.monotonic()
    stored = _backlog_store(config.forwarding_backlog, subscription.pk)
    print(
        f"    outbox: stored {stored:,} deliveries in {time.monotonic() - started:.0f} s; "
        f"sending for at most {config.forwarding_seconds} s",
        flush=True,
    )
    # Two processes, as `make worker` runs two (Celery --concurrency 2); SKIP LOCKED
    # keeps them on different rows.
    workers = [_worker(config, "drain", config.forwarding_seconds) for _ in range(2)]
    runs = [_worker_result(worker) for worker in workers]
    run = runs[0]
    seconds = max(r["end"] for r in runs) - min(r["start"] for r in runs)
    delivered = Delivery.objects.filter(state="delivered").count()
    samples = run["rss_samples"]
    first, last = samples[1] if len(samples) > 1 else samples[0], samples[-1]
    rate = delivered / seconds
    print(
        f"    outbox: {delivered:,} delivered in {seconds:.1f} s ({rate:,.0f}/s); RSS after "
        f"the first batch {first[2]} MB, last {last[2]} MB, peak {run['peak_kb'] / 1024:.0f} MB",
        flush=True,
    )
    results.add(
        Figure(
            "forwarding",
            "outbox deliveries/s to a local receiver",
            rate,
            "/s",
            target="≥ 2,000/s",
            met=rate >= 2000,
            note=(
                f"two worker processes, FORWARDING_BATCH_SIZE batches, up to "
                f"FORWARDING_TARGET_CONCURRENCY connections to the receiver (its own process, "
                f"verifying each signature); {delivered:,} of a {stored:,}-row backlog in "
                f"{seconds:.1f} s"
            ),
        )
    )
    results.add(
        Figure(
            "forwarding",
            f"sending worker RSS on a {stored:,}-delivery backlog",
            last[2],
            "MB",
            "after the first batch",
            first[2],
            last[2] / first[2],
            "bounded (flat while the backlog drains)",
            last[2] <= first[2] * 1.2,
            note=f"peak {run['peak_kb'] / 1024:.0f} MB; {len(samples)} samples",
        )
    )
    _forwarding_reset()


def _no_dlr_lateness(config: Config, results: Results, url: str, secret: str, port: int) -> None:
    from deliveries.registration import messages_register

    _subscription(url, secret, event_types=["message.no_dlr"], no_dlr_seconds=_DEADLINE)
    seconds = config.no_dlr_seconds
    scanner = _worker(config, "scan", seconds + _DEADLINE + 5)
    worker = _worker(config, "send", seconds + _DEADLINE + 5)
    registered = 0
    began = time.monotonic()
    for step in range(seconds * 10):  # a batch every 0.1 s
        now = datetime.now(tz=UTC)
        rows = [
            {
                "provider": "bench",
                "message_id": f"nd-{step}-{n}",
                "to": "+919812345678",
                "submitted_at": now,
            }
            for n in range(_RATE // 10)
        ]
        messages_register(rows=rows)
        registered += len(rows)
        time.sleep(max(0.0, began + (step + 1) / 10 - time.monotonic()))
    achieved = registered / (time.monotonic() - began)
    _worker_result(scanner)
    _worker_result(worker)
    detected = _detection_lateness()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as answer:
        received = sorted(json.loads(answer.read())["no_dlr_lateness"])
    p50, p99, top = _percentiles(detected)
    r50, r99, rtop = _percentiles(received)
    print(
        f"    no_dlr: {registered:,} registered at {achieved:,.0f}/s; {len(detected):,} "
        f"detected, lateness p50 {p50} s, p99 {p99} s, max {top} s; {len(received):,} "
        f"received, lateness p50 {r50} s, p99 {r99} s, max {rtop} s",
        flush=True,
    )
    results.add(
        Figure(
            "forwarding",
            "message.no_dlr detection lateness p99",
            p99,
            "s",
            target=f"≤ 2 s at {_RATE:,} pending messages/s",
            met=p99 is not None and p99 <= 2 and len(detected) == registered,
            note=(
                f"{registered:,} messages registered at {achieved:,.0f}/s for {seconds} s with "
                f"a {_DEADLINE} s deadline; detected (the writing scan's start − deadline) "
                f"p50 {p50} s, max {top} s; received by the receiver ({len(received):,}) "
                f"p50 {r50} s, p99 {r99} s, max {rtop} s; the scan runs every "
                "FORWARDING_TICK_SECONDS (1 s), one worker sends"
            ),
        )
    )
    _forwarding_reset()


def _detection_lateness() -> list[float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM created_at - occurred_at) FROM forwarding_delivery "
            "WHERE event_type = 'message.no_dlr' ORDER BY 1"
        )
        return [round(float(row[0]), 3) for row in cursor.fetchall()]


def _percentiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    values = sorted(values)
    return values[len(values) // 2], values[int(0.99 * (len(values) - 1))], values[-1]


def _port_and_secret() -> tuple[int, str]:
    import socket

    from alerts.models import webhook_secret_generate

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1]), webhook_secret_generate()
