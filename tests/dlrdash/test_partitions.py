"""Monthly partitions of the inbox and the status history (PostgreSQL; no-ops on SQLite)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from deliveries.models import Message, ReportKey, StatusEvent
from dlrdash import partitions
from dlrdash.partitions import month_add, month_start, partition_name
from webhooks import tasks
from webhooks.inbox import inbound_events_process, inbound_events_reprocess
from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.retention import inbox_prune

from ..helpers import fixture_bytes, held_elsewhere, requires_postgres

INBOX = "webhooks_inboundevent"
HISTORY = "deliveries_statusevent"


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _event(endpoint: WebhookEndpoint, received_at: datetime, state: str = "done") -> InboundEvent:
    return InboundEvent.objects.create(
        endpoint=endpoint,
        received_at=received_at,
        method="POST",
        body=fixture_bytes("smstake", "delivered.json"),
        auth_ok=True,
        response_code=200,
        state=state,
    )


def _history_event(message: Message, received_at: datetime, key: str) -> StatusEvent:
    return StatusEvent.objects.create(
        message=message, status="sent", received_at=received_at, outcome="applied", dedup_key=key
    )


@pytest.fixture
def endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(provider="smstake", slug="smstake", secrets=["x"])


@pytest.mark.django_db
def test_on_sqlite_partition_maintenance_does_nothing():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert partitions.partitions_ensure() == []
    assert partitions.partitions_drop(INBOX, before=timezone.now()) == []
    call_command("partitions_ensure")


@requires_postgres
def test_rows_land_in_their_month_and_far_dates_in_the_default_partition(endpoint):
    now = timezone.now()
    current = _event(endpoint, now)
    past = _event(endpoint, datetime(1999, 12, 31, tzinfo=UTC))
    future = _event(endpoint, datetime(2100, 1, 15, tzinfo=UTC))

    assert _partition_of(INBOX, current.pk) == partition_name(INBOX, now)
    assert _partition_of(INBOX, past.pk) == f"{INBOX}_default"
    assert _partition_of(INBOX, future.pk) == f"{INBOX}_default"
    # Django still sees `id` as the primary key and reads the rows back through it.
    assert InboundEvent.objects.get(pk=future.pk).received_at.year == 2100


@requires_postgres
def test_ensuring_a_month_moves_its_rows_out_of_the_default_partition(endpoint):
    future = _event(endpoint, datetime(2100, 1, 15, tzinfo=UTC))

    created = partitions.partitions_ensure(now=datetime(2100, 1, 1, tzinfo=UTC), months_ahead=1)

    assert set(created) >= {f"{INBOX}_p210001", f"{INBOX}_p210002", f"{HISTORY}_p210001"}
    assert _partition_of(INBOX, future.pk) == f"{INBOX}_p210001"
    assert partitions.partitions_ensure(now=datetime(2100, 1, 1, tzinfo=UTC), months_ahead=1) == []


@requires_postgres
def test_the_command_creates_the_coming_months(db):
    call_command("partitions_ensure", "--months-ahead", "4")

    months = partitions.partition_months(HISTORY)
    assert month_add(month_start(timezone.now()), 4) in months


@requires_postgres
def test_retention_drops_an_old_month_but_keeps_a_month_with_a_pending_event(endpoint, settings):
    settings.RETENTION_INBOUND_EVENT_DAYS = 90
    settings.RETENTION_STATUS_EVENT_DAYS = 100
    now = timezone.now()
    old, older = month_add(month_start(now), -6), month_add(month_start(now), -7)
    for table in (INBOX, HISTORY):
        partitions.month_partition_create(table, old)
        partitions.month_partition_create(table, older)
    done = _event(endpoint, older + timedelta(days=3))
    pending = _event(endpoint, old + timedelta(days=3), state="pending")
    message = Message.objects.create(provider="smstake", message_id="m1")
    _history_event(message, older + timedelta(days=1), "k1")
    _history_event(message, old + timedelta(days=1), "k2")

    with connection.cursor() as cursor:
        # The test's transaction inserted rows with deferred foreign keys; PostgreSQL will
        # not drop a table with their checks pending. (Production prunes rows long committed.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    result = tasks.prune()

    assert result["inbound_event_partitions_dropped"] == 1
    assert result["status_event_partitions_dropped"] == 2
    assert partition_name(INBOX, older) not in partitions.partition_months(INBOX).values()
    assert partition_name(INBOX, old) in partitions.partition_months(INBOX).values()
    assert list(InboundEvent.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not InboundEvent.objects.filter(pk=done.pk).exists()
    assert not StatusEvent.objects.exists()
    assert Message.objects.filter(pk=message.pk).exists()
    # Once the event is processed, its month goes the next day.
    InboundEvent.objects.filter(pk=pending.pk).update(state="done")
    assert inbox_prune()[2] == [partition_name(INBOX, old)]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_workers_claim_pending_events_across_months_skipping_locked_ones():
    endpoint = WebhookEndpoint.objects.create(provider="smstake", slug="smstake", secrets=["x"])
    now = timezone.now()
    # Two months, so the claim runs over two partitions.
    events = [
        _event(endpoint, now - timedelta(days=40), state="pending"),
        _event(endpoint, now, state="pending"),
    ]

    def hold_the_first() -> None:
        list(InboundEvent.objects.select_for_update().filter(pk=events[0].pk))

    with held_elsewhere(hold_the_first):
        assert inbound_events_process(limit=10) == 1

    assert InboundEvent.objects.get(pk=events[1].pk).state == "done"
    assert InboundEvent.objects.get(pk=events[0].pk).state == "pending"
    assert inbound_events_process(limit=10) == 1
    assert StatusEvent.objects.count() == 1  # the same report twice: recorded once
    # Reprocessing both changes nothing.
    assert inbound_events_reprocess(events=list(InboundEvent.objects.all())) == 2
    assert StatusEvent.objects.count() == 1
    assert sorted(InboundEvent.objects.values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]


@requires_postgres
def test_a_messages_history_is_read_through_an_index(db):
    now = timezone.now()
    last_month = month_add(month_start(now), -1)
    partitions.month_partition_create(HISTORY, last_month)
    # This month, last month (whatever today's date) and the default partition.
    times = [
        month + timedelta(days=days) for month in (month_start(now), last_month) for days in (1, 2)
    ]
    messages = Message.objects.bulk_create(
        Message(provider="smstake", message_id=f"m{n}") for n in range(200)
    )
    StatusEvent.objects.bulk_create(
        StatusEvent(
            message=message,
            status="sent",
            received_at=when - timedelta(seconds=n),
            outcome="applied",
            dedup_key=f"{n}-{i}",
        )
        for n, message in enumerate(messages)
        for i, when in enumerate((*times, now - timedelta(days=4000)))
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {HISTORY}")

    plan = StatusEvent.objects.filter(message=messages[7]).order_by("received_at", "id").explain()

    filled = (partition_name(HISTORY, now), partition_name(HISTORY, last_month))
    scans = [line for line in plan.splitlines() if any(f" {name} " in line for name in filled)]
    assert len(scans) == 2, plan
    # Each month is read through an index on the message id (its copy of event_message,
    # or of the foreign key's), not whole. (Empty months and a small default partition
    # may be scanned: that is what they cost.)
    # A plain or a bitmap index scan, as the planner likes; never a whole month read.
    assert not any("Seq Scan" in line for line in scans), plan


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_database_keeps_its_rows_ids_and_indexes(settings):
    settings.RETENTION_REPORT_KEY_DAYS = 30
    before = [("webhooks", "0001_initial"), ("deliveries", "0003_rollups")]
    _migrate(before)
    try:
        now = timezone.now()
        # The models as those migrations left them: today's have columns added since.
        old = MigrationExecutor(connection).loader.project_state(before).apps
        endpoint = old.get_model("webhooks", "WebhookEndpoint").objects.create(
            provider="smstake", slug="s", secrets=["x"]
        )
        message = old.get_model("deliveries", "Message").objects.create(
            provider="smstake", message_id="m1"
        )
        with connection.cursor() as cursor:
            for days in (0, 40, 4000):  # this month, an older one, far past retention
                cursor.execute(
                    "INSERT INTO webhooks_inboundevent (received_at, method, headers, "
                    "query_string, body, auth_ok, auth_error, response_code, state, outcome, "
                    "error, report_count, attempts, endpoint_id) VALUES (%s, 'POST', '{}', "
                    "'', '', true, '', 200, 'done', 'applied', '', 1, 0, %s)",
                    [now - timedelta(days=days), endpoint.pk],
                )
            for days, key in ((1, "recent"), (60, "old")):
                cursor.execute(
                    "INSERT INTO deliveries_statusevent (message_id, status, provider_status, "
                    "provider_code, error_code, error_message, received_at, outcome, "
                    "dedup_key) VALUES (%s, 'sent', '', '', '', '', %s, 'applied', %s)",
                    [message.pk, now - timedelta(days=days), key],
                )
            cursor.execute("SELECT max(id) FROM webhooks_inboundevent")
            last_id = cursor.fetchone()[0]

        _migrate(
            [
                ("webhooks", "0002_inboundevent_partitioned"),
                ("deliveries", "0005_statusevent_partitioned"),
            ]
        )

        assert InboundEvent.objects.count() == 3
        assert StatusEvent.objects.count() == 2
        # Only keys within their retention are carried over.
        assert list(ReportKey.objects.values_list("dedup_key", flat=True)) == ["recent"]
        assert {_partition_of(INBOX, e.pk) for e in InboundEvent.objects.all()} == {
            partition_name(INBOX, now),
            partition_name(INBOX, now - timedelta(days=40)),
            f"{INBOX}_default",
        }
        current = WebhookEndpoint(pk=endpoint.pk)  # the row, as today's model sees it
        assert _event(current, now).pk == last_id + 1  # the identity goes on
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [INBOX]
            )
            indexes = dict(cursor.fetchall())
        declared = {index.name for index in InboundEvent._meta.indexes}
        assert declared <= set(indexes)
        assert "WHERE ((state)::text = 'pending'::text)" in indexes["inboundevent_pending"]
        assert "(id, received_at)" in indexes[f"{INBOX}_pkey"]
        assert partitions.partitioned_tables() == [HISTORY, INBOX]
    finally:
        # Back to the latest migrations, which later tests run against.
        executor = MigrationExecutor(connection)
        _migrate(executor.loader.graph.leaf_nodes())


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_month_whose_lock_is_not_granted_in_time_waits_for_the_next_prune(monkeypatch):
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    old = month_add(month_start(timezone.now()), -7)
    partitions.month_partition_create(INBOX, old)

    def read_the_inbox_for_long() -> None:
        list(InboundEvent.objects.all()[:1])  # holds ACCESS SHARE until commit

    with held_elsewhere(read_the_inbox_for_long):
        assert partitions.partitions_drop(INBOX, before=timezone.now()) == []

    # (Other old months that earlier transactional tests left may go too.)
    assert partition_name(INBOX, old) in partitions.partitions_drop(INBOX, before=timezone.now())
