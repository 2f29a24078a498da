"""Phases 3 (analytics) and 4 (trace) over N messages and their events, loaded with COPY.

Analytics: `/api/v1/stats/` and `/dashboard/` timed server-side (Django test client, in
process) beside a naive GROUP BY over `Message` computing the same figures. Until the
rollups land (issue 4) those URLs answer 404 here and are reported as not available.
Trace: the lookups `/trace/` makes (message id, phone, client_ref), beside a primary-key
lookup, the cheapest indexed read there is.
"""

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from . import db
from .config import Config
from .results import Figure, Results, median, percentile

_CHUNK = 20_000
_SPREAD_SECONDS = 48 * 3600
# (status, kind of report sequence, weight): a believable final mix, some still pending.
_STATUSES = [
    ("delivered", 830),
    ("read", 40),
    ("sent", 30),
    ("undelivered", 30),
    ("failed", 25),
    ("rejected", 25),
    ("expired", 15),
    ("answered", 5),
]
_ERRORS = {
    "undelivered": "001",
    "failed": "DND",
    "rejected": "DLT_TEMPLATE_MISMATCH",
    "expired": "EXPIRED",
}
_CHANNELS = [("sms", 72), ("whatsapp", 15), ("rcs", 6), ("voice", 7)]
_OPERATORS = [("JIO", 40), ("AIRTEL", 33), ("VI", 20), ("BSNL", 7)]


def _pick(rng: random.Random, table: list[tuple[str, int]], n: int) -> list[str]:
    return rng.choices([v for v, _ in table], [w for _, w in table], k=n)


def _timestamps(now: datetime) -> list[str]:
    start = now - timedelta(seconds=_SPREAD_SECONDS)
    return [(start + timedelta(seconds=s)).isoformat() for s in range(_SPREAD_SECONDS + 600)]


def _message_chunks(
    n: int, campaigns: list[tuple[str, int]], stamps: list[str]
) -> Iterator[tuple[str, str]]:
    """Tab-separated rows for deliveries_message and deliveries_statusevent, in chunks."""
    rng = random.Random(7)
    for base in range(0, n, _CHUNK):
        size = min(_CHUNK, n - base)
        statuses = _pick(rng, _STATUSES, size)
        channels = _pick(rng, _CHANNELS, size)
        operators = _pick(rng, _OPERATORS, size)
        camps = rng.choices(campaigns, k=size)
        offsets = [int(_SPREAD_SECONDS * rng.random() ** 1.6) for _ in range(size)]
        messages: list[str] = []
        events: list[str] = []
        for j in range(size):
            i = base + j + 1  # the id COPY will give it (identity restarted at 1)
            status, at = statuses[j], _SPREAD_SECONDS - offsets[j]
            submitted, done = stamps[at], stamps[at + 5]
            error = _ERRORS.get(status, "")
            prefix, campaign_id = camps[j]
            provider = "wavix" if i % 7 == 0 else "smstake"
            phone = f"+9198{(i * 7919) % 100_000_000:08d}"
            delivered = done if status in ("delivered", "read", "answered") else "\\N"
            messages.append(
                f"{provider}\tbm{i:010d}\t{channels[j]}\t{phone}\t{phone}\tSMSTKE\t{status}\t"
                f"{status.upper()}\t\t{operators[j]}\t{error}\t\t\t{prefix}{i:08x}\t\t1\t"
                f"{submitted}\t{submitted}\t{delivered}\t\\N\t\\N\t{campaign_id}\t\\N\t"
                f"{submitted}\t{done}\t{done}\n"
            )
            events.append(
                f"{i}\tsent\tENROUTE\t\t\t\t{submitted}\t{submitted}\tapplied\t\\N\ts{i:015x}\n"
            )
            if status != "sent":
                events.append(
                    f"{i}\t{status}\t{status.upper()}\t\t{error}\t\t{done}\t{done}\t"
                    f"applied\t\\N\tf{i:015x}\n"
                )
        yield "".join(messages), "".join(events)


def messages_load(n: int) -> float:
    """COPY n messages (and ~2 events each) into empty tables. Returns seconds taken."""
    from django.db import connection

    from deliveries.models import Campaign
    from webhooks.simulation import CAMPAIGNS

    for name, prefix in CAMPAIGNS:
        Campaign.objects.get_or_create(ref_prefix=prefix, defaults={"name": name})
    campaigns = list(Campaign.objects.values_list("ref_prefix", "pk"))
    started = time.monotonic()
    message_columns = (
        'provider, message_id, channel, to_raw, "to", sender, status, provider_status, '
        "provider_code, operator, error_code, error_message, dlt_template_id, client_ref, tag, "
        "segments, submitted_at, sent_at, delivered_at, read_at, call_duration, campaign_id, "
        "registered_at, created_at, updated_at, status_changed_at"
    )
    event_columns = (
        "message_id, status, provider_status, provider_code, error_code, error_message, "
        "provider_time, received_at, outcome, inbound_event_id, dedup_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE deliveries_statusevent, deliveries_message RESTART IDENTITY CASCADE"
        )
    stamps = _timestamps(datetime.now(tz=UTC))
    indexes = _indexes_drop()
    with connection.cursor() as mc, connection.cursor() as ec:
        with mc.copy(f"COPY deliveries_message ({message_columns}) FROM STDIN") as mcopy:
            pending_events: list[str] = []
            for messages, events in _message_chunks(n, campaigns, stamps):
                mcopy.write(messages)
                pending_events.append(events)
                if len(pending_events) * _CHUNK >= 200_000:
                    break
        # Events go in a second pass so their foreign keys find the committed-to messages.
        with ec.copy(f"COPY deliveries_statusevent ({event_columns}) FROM STDIN") as ecopy:
            for events in pending_events:
                ecopy.write(events)
    _load_rest(n, len(pending_events) * _CHUNK, campaigns, stamps, message_columns, event_columns)
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE deliveries_message")
        cursor.execute("VACUUM ANALYZE deliveries_statusevent")
    return time.monotonic() - started


def _indexes_drop() -> list[str]:
    """Drop the plain secondary indexes of the two tables; returns their definitions.

    Building an index once after the load is several times faster than maintaining it
    row by row during COPY. Indexes backing constraints (primary keys, uniques) stay.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
            "WHERE i.tablename IN ('deliveries_message', 'deliveries_statusevent') "
            "AND c.conname IS NULL"
        )
        rows = cursor.fetchall()
        for name, _ in rows:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _load_rest(
    n: int, done: int, campaigns: list[tuple[str, int]], stamps: list[str], mcols: str, ecols: str
) -> None:
    """Messages past the first batch: each chunk's messages, then its events."""
    from django.db import connection

    if done >= n:
        return
    chunks = _message_chunks(n, campaigns, stamps)
    for _ in range(done // _CHUNK):
        next(chunks)
    for messages, events in chunks:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY deliveries_message ({mcols}) FROM STDIN") as copy:
                copy.write(messages)
            with cursor.copy(f"COPY deliveries_statusevent ({ecols}) FROM STDIN") as copy:
                copy.write(events)


def naive_figures() -> dict[str, Any]:
    """Every dashboard figure straight from Message with GROUP BY: the naive baseline."""
    from django.db.models import Avg, Count, F
    from django.db.models.functions import TruncHour
    from django.utils import timezone

    from deliveries.models import Message

    messages = Message.objects.order_by()
    since = timezone.now() - timedelta(hours=48)
    figures: dict[str, Any] = {}
    for dimension in ("status", "campaign_id", "channel", "operator", "provider"):
        fields = ["status"] if dimension == "status" else [dimension, "status"]
        figures[dimension] = list(messages.values(*fields).annotate(n=Count("id")))
    figures["hour"] = list(
        messages.filter(created_at__gte=since)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "status")
        .annotate(n=Count("id"))
    )
    figures["error_codes"] = list(
        messages.exclude(error_code="")
        .values("error_code")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    )
    figures["latency"] = messages.filter(
        delivered_at__isnull=False, submitted_at__isnull=False
    ).aggregate(avg=Avg(F("delivered_at") - F("submitted_at")))
    return figures


def _timed(fn: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _rollups_rebuild() -> str:
    """Rollups built by issue 4 are kept by the apply path; COPY bypasses it, so rebuild."""
    from django.core.management import call_command, get_commands

    for name in ("rollups_rebuild", "rollup_rebuild", "rebuild_rollups"):
        if name in get_commands():
            call_command(name)
            return name
    return ""


def analytics_run(config: Config, results: Results) -> None:
    seconds = messages_load(config.messages)
    print(f"    loaded {config.messages:,} messages (+ events) in {seconds:.1f} s", flush=True)
    results.extra["load_seconds"] = round(seconds, 1)
    results.extra["rollups_rebuilt_with"] = _rollups_rebuild()
    size = f"{config.messages / 1e6:g} M" if config.messages >= 1e6 else f"{config.messages:,}"
    db.checkpoint()
    naive = _timed(naive_figures, config.naive_repeats)
    naive_p50 = median(naive)
    print(f"    naive GROUP BY: p50 {naive_p50:.0f} ms over {len(naive)} runs", flush=True)
    client = _client()
    for name, url in (("stats API", "/api/v1/stats/"), ("dashboard", "/dashboard/")):
        _page_figure(config, results, client, name, url, size, naive_p50, len(naive))
    results.add(
        Figure(
            "analytics",
            f"naive GROUP BY (8 figures) p95 at {size}",
            percentile(naive, 95),
            "ms",
            note=f"{len(naive)} runs; p50 {naive_p50:.0f} ms",
        )
    )
    trace_run(config, results, size)


def _client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def _page_figure(
    config: Config,
    results: Results,
    client: Any,
    name: str,
    url: str,
    size: str,
    naive_p50: float,
    naive_runs: int,
) -> None:
    # secure=True: as behind the TLS proxy, otherwise DEBUG=0 redirects to https.
    status = client.get(url, secure=True).status_code
    if status != 200:
        results.add(
            Figure(
                "analytics",
                f"{name} p95 at {size}",
                None,
                "ms",
                "naive GROUP BY p50",
                naive_p50,
                target="≤ 50 ms and ≥ 50× faster",
                note=f"not available yet: GET {url} answered {status} in this tree (issue 4)",
            )
        )
        return
    samples = _timed(lambda: client.get(url, secure=True), config.analytics_requests)
    p95 = percentile(samples, 95)
    ratio = naive_p50 / p95
    results.add(
        Figure(
            "analytics",
            f"{name} p95 at {size}",
            p95,
            "ms",
            "naive GROUP BY p50",
            naive_p50,
            ratio,
            "≤ 50 ms and ≥ 50× faster",
            p95 <= 50 and ratio >= 50,
            note=f"{len(samples)} requests, in-process test client; p50 {median(samples):.1f} ms;"
            f" naive over {naive_runs} runs",
        )
    )


def trace_run(config: Config, results: Results, size: str) -> None:
    from deliveries.models import Message
    from deliveries.phones import phone_to_e164

    rng = random.Random(3)
    ids = [rng.randint(1, config.messages) for _ in range(config.trace_samples)]
    rows = list(
        Message.objects.filter(pk__in=ids).values_list("pk", "message_id", "to", "client_ref")
    )
    db.checkpoint()
    lookups: dict[str, Callable[[tuple[Any, ...]], object]] = {
        "primary key": lambda r: list(Message.objects.filter(pk=r[0])[:20]),
        "message id": lambda r: list(Message.objects.filter(message_id=r[1])[:20]),
        # As typed by support staff: national format, read back to E.164 like /trace/.
        "phone": lambda r: list(
            Message.objects.filter(to=phone_to_e164("0" + r[2][3:])).order_by("-created_at")[:20]
        ),
        "client_ref": lambda r: list(Message.objects.filter(client_ref=r[3])[:20]),
    }
    p95: dict[str, float] = {}
    for name, lookup in lookups.items():
        samples = []
        for row in rows:
            started = time.perf_counter()
            lookup(row)
            samples.append((time.perf_counter() - started) * 1000)
        p95[name] = percentile(samples, 95)
    for name in ("message id", "phone", "client_ref"):
        results.add(
            Figure(
                "trace",
                f"lookup by {name} p95 at {size}",
                p95[name],
                "ms",
                "primary key p95",
                p95["primary key"],
                p95[name] / p95["primary key"],
                "≤ 10 ms",
                p95[name] <= 10,
                note=f"{len(rows)} lookups, ORM filter(...)[:20] as /trace/ will run them",
            )
        )
