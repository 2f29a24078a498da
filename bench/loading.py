"""Generated messages and their status history, loaded with COPY-speed SQL (constraints and
indexes dropped and restored around it)."""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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
    submit → final latency (median ~3 s, p99 ~4 min, capped at a day). Ids follow creation
    time, as in production (a row is inserted when its message is created), so a scan in
    `created_at` order reads the table in its physical order, not at random.
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
        registered_at, created_at, updated_at, status_changed_at, environment)
    SELECT
        i, provider, provider || '-' || lpad(to_hex(i), 10, '0'), channel,
        substr(phone, 2), phone, sender, status, raw_status, '', operator, error_code, '',
        CASE WHEN channel = 'sms' THEN template ELSE '' END,
        prefix || lpad(to_hex(i), 8, '0'), '', 1 + (r_error < 0.2)::int,
        submitted, submitted + interval '200 milliseconds',
        CASE WHEN status IN ({delivered}) THEN done END,
        CASE WHEN status = 'read' THEN done + r_read * interval '1 hour' END,
        CASE WHEN status = 'answered' THEN 5 + (r_read * 180)::int END,
        campaign_id, NULL, submitted, coalesce(done, submitted), coalesce(done, submitted),
        'live'
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
                            ({n} - i)::float8 / {n} AS r_age,
                            random() AS r_latency, random() AS r_phone
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
