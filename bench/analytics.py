"""Phases 3 (analytics) and 4 (trace) over N messages and their events, loaded with COPY.

Analytics: `/api/v1/stats/` and `/dashboard/` timed server-side (Django test client, in
process) beside a naive GROUP BY over `Message` computing the same figures. In a tree without
the rollups those URLs answer 404 and are reported as not available.
Trace: the lookups `/trace/` makes (message id, phone, client_ref), beside a primary-key
lookup, the cheapest indexed read there is.
"""

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from . import db
from .config import Config
from .results import Figure, Results, median, percentile

_SPREAD_HOURS = 48
# Per channel: (status, provider status, weight), a believable final mix, some pending.
_STATUS_MIX: dict[str, list[tuple[str, str, int]]] = {
    "sms": [
        ("delivered", "DELIVRD", 860),
        ("sent", "ENROUTE", 30),
        ("submitted", "ACCEPTD", 5),
        ("undelivered", "UNDELIV", 30),
        ("failed", "FAILED", 25),
        ("rejected", "REJECTD", 30),
        ("expired", "EXPIRED", 20),
    ],
    "whatsapp": [
        ("read", "READ", 450),
        ("delivered", "DELIVERED", 440),
        ("sent", "SENT", 40),
        ("failed", "FAILED", 45),
        ("undelivered", "UNDELIVERABLE", 25),
    ],
    "rcs": [
        ("read", "READ", 300),
        ("delivered", "DELIVERED", 580),
        ("sent", "SENT", 40),
        ("failed", "FAILED", 40),
        ("expired", "EXPIRED", 40),
    ],
    "voice": [
        ("answered", "ANSWERED", 700),
        ("no_answer", "NOANSWER", 150),
        ("busy", "BUSY", 80),
        ("failed", "FAILED", 50),
        ("queued", "QUEUED", 20),
    ],
}
# Error codes per failed status (codes from deliveries/data/error_codes.json), equal shares.
_ERRORS: dict[str, list[str]] = {
    "undelivered": ["001", "027", "005", "021"],
    "failed": ["DND", "INVALID_NUMBER", "013", "131026"],
    "rejected": [
        "DLT_TEMPLATE_MISMATCH",
        "DLT_HEADER_INACTIVE",
        "DLT_CONSENT_NOT_FOUND",
        "DLT_ENTITY_NOT_FOUND",
    ],
    "expired": ["EXPIRED", "069"],
    "no_answer": ["NOANSWER"],
    "busy": ["BUSY"],
}
_CHANNELS = [("sms", 72), ("whatsapp", 15), ("rcs", 6), ("voice", 7)]
_OPERATORS = [("JIO", 40), ("AIRTEL", 33), ("VI", 20), ("BSNL", 7)]
_PROVIDERS = [("smstake", 60), ("wavix", 25), ("infobip", 15)]
# Campaign ref prefixes (webhooks.simulation.CAMPAIGNS) and weights; "" is traffic outside
# any campaign (client_ref "txn_…").
_CAMPAIGN_WEIGHTS = {"otp_": 35, "promo_diwali_": 20, "order_": 20, "alert_pay_": 10, "": 15}
_SENDERS = ["DLRDSH", "SHOPIN", "PAYALR", "OTPVFY"]
_DLT_TEMPLATES = ["1207165123456789012", "1207161987654321098", "1207168800112233445"]
# Recipients: ~0.3 numbers per message, so a phone lookup finds a few messages.
_PHONES_PER_MESSAGE = 0.3
_TABLES = ["deliveries_message", "deliveries_statusevent"]


def _literal(value: str) -> str:
    assert "'" not in value
    return f"'{value}'"


def _weighted(r: str, table: list[tuple[str, int]]) -> str:
    """SQL CASE choosing a value from `table` by the uniform random column `r`."""
    if len(table) == 1:
        return table[0][0]
    total = sum(w for _, w in table)
    edges, seen = [], 0
    for value, weight in table[:-1]:
        seen += weight
        edges.append(f"WHEN {r} < {seen / total!r} THEN {value}")
    return f"CASE {' '.join(edges)} ELSE {table[-1][0]} END"


def _status_sql() -> str:
    """CASE over channel: a status and its provider status joined by ':'."""
    arms = []
    for channel, mix in _STATUS_MIX.items():
        table = [(_literal(f"{status}:{raw}"), w) for status, raw, w in mix]
        arms.append(f"WHEN channel = '{channel}' THEN {_weighted('r_status', table)}")
    return f"CASE {' '.join(arms)} END"


def _error_sql() -> str:
    arms = []
    for status, codes in _ERRORS.items():
        table = [(_literal(code), 1) for code in codes]
        arms.append(f"WHEN status = '{status}' THEN {_weighted('r_error', table)}")
    return f"CASE {' '.join(arms)} ELSE '' END"


def _messages_insert_sql(first: int, last: int, n: int, campaigns: dict[str, int]) -> str:
    """INSERT … SELECT generating messages first..last of n in PostgreSQL, no Python per row.

    Three stages: uniform random numbers per row (a subquery with volatile functions is
    not flattened, so each is drawn once), the categorical columns picked from them, then
    the times: submissions over 48 hours weighted to the recent end, and a heavy-tailed
    submit → final latency (median ~3 s, p99 ~4 min, capped at a day).
    """
    campaign_ids = [(str(campaigns[p]) if p else "NULL", w) for p, w in _CAMPAIGN_WEIGHTS.items()]
    prefixes = [(_literal(p or "txn_"), w) for p, w in _CAMPAIGN_WEIGHTS.items()]
    pending = ", ".join(_literal(s) for s in ("sent", "submitted", "queued"))
    delivered = ", ".join(_literal(s) for s in ("delivered", "read", "answered"))
    phones = max(1, int(n * _PHONES_PER_MESSAGE))
    senders = [(_literal(v), 1) for v in _SENDERS]
    templates = [(_literal(v), 1) for v in _DLT_TEMPLATES]
    # Every value interpolated is a constant of this module or an integer.
    return f"""
    INSERT INTO deliveries_message (
        id, provider, message_id, channel, to_raw, "to", sender, status, provider_status,
        provider_code, operator, error_code, error_message, dlt_template_id, client_ref, tag,
        segments, submitted_at, sent_at, delivered_at, read_at, call_duration, campaign_id,
        registered_at, created_at, updated_at, status_changed_at)
    SELECT
        i, provider, provider || '-' || lpad(to_hex(i), 10, '0'), channel,
        substr(phone, 2), phone, sender, status, raw_status, '', operator, error_code, '',
        CASE WHEN channel = 'sms' THEN template ELSE '' END,
        prefix || lpad(to_hex(i), 8, '0'), '', 1 + (r_error < 0.2)::int,
        submitted, submitted + interval '200 milliseconds',
        CASE WHEN status IN ({delivered}) THEN done END,
        CASE WHEN status = 'read' THEN done + r_read * interval '1 hour' END,
        CASE WHEN status = 'answered' THEN 5 + (r_read * 180)::int END,
        campaign_id, NULL, submitted, coalesce(done, submitted), coalesce(done, submitted)
    FROM (
        SELECT *,
            CASE WHEN status IN ({pending}) THEN NULL
                 ELSE submitted + least(86400, 1.5 * r_latency ^ -1.1) * interval '1 second'
            END AS done,
            {_error_sql()} AS error_code
        FROM (
            SELECT *,
                now() - {_SPREAD_HOURS} * r_age ^ 1.6 * interval '1 hour' AS submitted,
                split_part(status_raw, ':', 1) AS status,
                split_part(status_raw, ':', 2) AS raw_status
            FROM (
                SELECT *, {_status_sql()} AS status_raw
                FROM (
                    SELECT i, r_status, r_error, r_read, r_age,
                        greatest(r_latency, 1e-9) AS r_latency,
                        {_weighted("r_channel", [(_literal(c), w) for c, w in _CHANNELS])}
                            AS channel,
                        {_weighted("r_operator", [(_literal(o), w) for o, w in _OPERATORS])}
                            AS operator,
                        {_weighted("r_provider", [(_literal(p), w) for p, w in _PROVIDERS])}
                            AS provider,
                        {_weighted("r_campaign", campaign_ids)} AS campaign_id,
                        {_weighted("r_campaign", prefixes)} AS prefix,
                        {_weighted("r_error", senders)} AS sender,
                        {_weighted("r_read", templates)} AS template,
                        '+91' || (7000000000 + (r_phone * {phones})::bigint * 997)::text
                            AS phone
                    FROM (
                        SELECT i, random() AS r_channel, random() AS r_operator,
                            random() AS r_provider, random() AS r_campaign,
                            random() AS r_status, random() AS r_error, random() AS r_read,
                            random() AS r_age, random() AS r_latency, random() AS r_phone
                        FROM generate_series({first}, {last}) AS i
                    ) AS draws
                ) AS picked
            ) AS statused
        ) AS timed
    ) AS generated
    """  # noqa: S608


# Every message has its `sent` report; those with a final status have that one too.
_EVENTS_INSERT_SQL = """
    INSERT INTO deliveries_statusevent (
        message_id, status, provider_status, provider_code, error_code, error_message,
        provider_time, received_at, outcome, inbound_event_id, dedup_key)
    SELECT id, 'sent', 'ENROUTE', '', '', '', submitted_at, sent_at, 'applied', NULL::bigint,
        's' || id
    FROM deliveries_message WHERE id BETWEEN {first} AND {last}
    UNION ALL
    SELECT id, status, provider_status, '', error_code, '', updated_at, updated_at, 'applied',
        NULL, 'f' || id
    FROM deliveries_message
    WHERE id BETWEEN {first} AND {last} AND status NOT IN ('sent', 'submitted', 'queued')
"""


# Indexes the measured reads use, rebuilt after the load. The others (the inbox id, the
# received_at and dedup_key indexes of the events, and the plain foreign-key indexes that a
# composite index already covers) serve only the apply path, which this phase does not
# run; building them took more than a third of the load at 1 M, so they are left out.
_INDEXES_KEPT = (
    "message_provider_id",
    "message_message_id",
    "message_to",
    "message_client_ref",
    "message_campaign",
    "message_status",
    "message_pending",
    "deliveries_message_created_at_",
    "event_message",
    # The webhook event's page lists the reports it carried by this index.
    "deliveries_statusevent_inbound_event_id",
)


def messages_load(n: int, db_url: str) -> dict[str, float]:
    """Generate n messages (and ~2 events each) in PostgreSQL. Returns seconds per step.

    Rows are made server-side (`INSERT … SELECT … FROM generate_series`), in two sessions
    (one per core), so nothing crosses the wire. Secondary indexes and the unique and
    foreign-key constraints are dropped first and built once after the load, two at a time:
    building an index in one pass is many times faster than maintaining it row by row. The
    foreign keys come back NOT VALID (the generator makes them hold; validating is one more
    pass over both tables), and indexes no measured read uses are not built (_INDEXES_KEPT).
    """
    from django.db import connection

    from deliveries.models import Campaign
    from webhooks.simulation import CAMPAIGNS

    for name, prefix in CAMPAIGNS:
        Campaign.objects.get_or_create(ref_prefix=prefix, defaults={"name": name})
    campaigns = dict(Campaign.objects.values_list("ref_prefix", "pk"))
    steps: dict[str, float] = {}
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE deliveries_statusevent, deliveries_message RESTART IDENTITY CASCADE"
        )
        constraints = _constraints_drop(cursor)
        indexes = _indexes_drop(cursor)
    half = n // 2
    _in_parallel(
        db_url,
        [
            ["SELECT setseed(0.7)", _messages_insert_sql(1, half, n, campaigns)],
            ["SELECT setseed(0.3)", _messages_insert_sql(half + 1, n, n, campaigns)],
        ],
    )
    steps["messages"] = time.monotonic() - started
    _in_parallel(
        db_url,
        [
            [_events_sql(1, half)],
            [_events_sql(half + 1, n)],
        ],
    )
    steps["events"] = time.monotonic() - started - sum(steps.values())
    built = [d for name, d in [*indexes, *constraints] if name.startswith(_INDEXES_KEPT)]
    # PostgreSQL cannot add a NOT VALID foreign key to a partitioned table (the status
    # history on PostgreSQL): that one is validated as it is added.
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'p'")
        partitioned = {f"ALTER TABLE {name} " for (name,) in cursor.fetchall()}
    foreign = [
        d if d.startswith(tuple(partitioned)) else d + " NOT VALID"
        for _, d in constraints
        if "FOREIGN KEY" in d
    ]
    # More memory for the sorts of the index builds (these sessions only).
    memory = "SET maintenance_work_mem = '512MB'"
    _in_parallel(db_url, [[memory, *built[0::2]], [memory, *built[1::2]]])
    _in_parallel(db_url, [foreign])
    steps["indexes"] = time.monotonic() - started - sum(steps.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('deliveries_message', 'id'), %s)", [n])
    # VACUUM sets the visibility map (index-only scans), ANALYZE the planner's figures.
    _in_parallel(
        db_url,
        [["VACUUM ANALYZE deliveries_message"], ["VACUUM ANALYZE deliveries_statusevent"]],
    )
    steps["vacuum"] = time.monotonic() - started - sum(steps.values())
    return steps


def _events_sql(first: int, last: int) -> str:
    return _EVENTS_INSERT_SQL.format(first=first, last=last)


def _in_parallel(db_url: str, sessions: list[list[str]]) -> None:
    """Run each list of statements in a session of its own, all sessions at once."""
    import psycopg

    def run(statements: list[str]) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        for future in [pool.submit(run, statements) for statements in sessions if statements]:
            future.result()


def _constraints_drop(cursor: Any) -> list[tuple[str, str]]:
    """Drop unique and foreign-key constraints on (or pointing at) the two tables; returns
    (name, statement adding it back) pairs. Primary keys stay (ids are loaded in order)."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        # conparentid = 0: a partition's copy of a constraint goes with the parent's.
        "WHERE contype IN ('u', 'f') AND conparentid = 0 "
        "AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[])) "
        "ORDER BY contype DESC",  # uniques before the foreign keys that may need them
        [_TABLES, _TABLES],
    )
    rows = cursor.fetchall()
    for table, name, _ in rows:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [(name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {d}') for table, name, d in rows]


def _indexes_drop(cursor: Any) -> list[tuple[str, str]]:
    """Drop the plain secondary indexes of the two tables; returns (name, definition) pairs.

    Indexes backing constraints (primary keys, and the uniques `_constraints_drop` handles)
    are left to the constraints.
    """
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
        "WHERE i.tablename = ANY(%s) AND c.conname IS NULL",
        [_TABLES],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    # A partitioned table's index is listed "ON ONLY" the parent; built back on the whole
    # table, it cascades to every partition.
    return [(name, definition.replace(" ON ONLY ", " ON ")) for name, definition in rows]


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


def _rollups_rebuild() -> tuple[float, int]:
    """The generated rows bypass the apply path that keeps the rollups: rebuild them with
    the production code, and time it (it is one `INSERT … SELECT … GROUP BY`).
    Returns the seconds and the number of cells."""
    from django.db import connection

    from deliveries.rollup_rebuild import rollups_rebuild

    started = time.monotonic()
    cells = rollups_rebuild()
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE deliveries_deliveryrollup")
    return seconds, cells


def _pages() -> list[tuple[str, str]]:
    from deliveries.models import Campaign

    # The biggest campaign: its page reads the most rollup cells.
    promo = Campaign.objects.get(ref_prefix="otp_")
    return [
        ("stats API", "/api/v1/stats/"),
        ("dashboard", "/dashboard/"),
        ("campaign list", "/campaigns/"),
        ("campaign page", f"/campaigns/{promo.pk}/"),
    ]


def analytics_run(config: Config, results: Results, n: int) -> None:
    """Generate n messages (replacing any earlier size's) and measure the reads over them."""
    steps = messages_load(n, config.db_url)
    seconds = sum(steps.values())
    detail = ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())
    print(f"    generated {n:,} messages (+ events) in {seconds:.1f} s ({detail})")
    rebuild, cells = _rollups_rebuild()
    print(f"    rebuild_rollups: {cells:,} cells in {rebuild:.1f} s", flush=True)
    size = f"{n / 1e6:g} M" if n >= 1e6 else f"{n:,}"
    results.extra.setdefault("analytics_load", {})[size] = {
        "seconds": round(seconds, 1),
        "steps": {k: round(v, 1) for k, v in steps.items()},
        "rollups_rebuild_seconds": round(rebuild, 1),
        "rollup_cells": cells,
    }
    db.checkpoint()
    naive = _timed(naive_figures, config.naive_repeats)
    naive_p50 = median(naive)
    print(f"    naive GROUP BY: p50 {naive_p50:.0f} ms over {len(naive)} runs", flush=True)
    client = _client()
    for name, url in _pages():
        _page_figure(config, results, client, name, url, size, naive_p50, len(naive), n)
    results.add(
        Figure(
            "analytics",
            f"naive GROUP BY (8 figures) p95 at {size}",
            percentile(naive, 95),
            "ms",
            note=f"{len(naive)} runs; p50 {naive_p50:.0f} ms",
        )
    )
    trace_run(config, results, n, size)


def _client() -> Any:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    # With DEBUG off the pages need the static files' manifest; the ingest phase's server
    # collects them, but a run of the page phases alone (BENCH_PHASES) must too.
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)

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
    n: int,
) -> None:
    # The targets are for 10 M messages: p95 ≤ 50 ms and ≥ 50× the naive GROUP BY
    # (which takes seconds there). Below 10 M the naive query is itself fast, so only the
    # 50 ms holds; the ratio is still printed.
    at_scale = n >= 10_000_000
    target = "≤ 50 ms and ≥ 50× faster" if at_scale else "≤ 50 ms (50× applies at 10 M)"
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
                target=target,
                note=f"not available yet: GET {url} answered {status} in this tree",
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
            target,
            p95 <= 50 and (ratio >= 50 or not at_scale),
            note=f"{len(samples)} requests, in-process test client; p50 {median(samples):.1f} ms;"
            f" naive over {naive_runs} runs",
        )
    )


def trace_run(config: Config, results: Results, n: int, size: str) -> None:
    from deliveries.models import Message
    from deliveries.phones import phone_to_e164

    rng = random.Random(3)
    ids = [rng.randint(1, n) for _ in range(config.trace_samples)]
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
