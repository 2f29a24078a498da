"""Group commit: concurrent webhooks share one INSERT, and none is answered before it."""

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import DatabaseError, OperationalError, connections
from django.test import Client

from webhooks import inbox_writer
from webhooks.models import InboundEvent

from ..helpers import fixture_bytes, requires_postgres, smstake_sign

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _row(endpoint_id: int, body: bytes, **changes: object) -> dict[str, object]:
    return {
        "endpoint_id": endpoint_id,
        "received_at": datetime.now(UTC),
        "method": "POST",
        "headers": {"content-type": "application/json"},
        "query_string": "",
        "body": body,
        "remote_addr": "203.0.113.7",
        "auth_ok": True,
        "auth_error": "",
        "response_code": 200,
        "state": "pending",
        **changes,
    }


def _post_signed(body: bytes):
    """A signed SMSTAKE webhook from a client of its own (one per thread)."""
    return Client().post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": smstake_sign(body)},
    )


def _concurrently(count: int, target, *args) -> list[object]:
    """Run target(i, *args) in `count` threads released at once; results or exceptions."""
    results: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = target(i, *args)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_webhooks_are_committed_in_groups_before_they_are_answered(
    smstake_endpoint, monkeypatch
):
    groups: list[int] = []
    real_insert = inbox_writer._rows_insert

    def recording_insert(connection, rows):
        ids = real_insert(connection, rows)
        groups.append(len(rows))
        return ids

    monkeypatch.setattr(inbox_writer, "_rows_insert", recording_insert)

    def post(i: int) -> tuple[int, bool]:
        body = fixture_bytes("smstake", "delivered.json").replace(b"msg_", f"m{i}_".encode())
        response = _post_signed(body)
        # Answered: the row is already visible to any other connection.
        stored = InboundEvent.objects.filter(body=body).exists()
        return response.status_code, stored

    results = _concurrently(40, post)

    assert results == [(200, True)] * 40
    assert InboundEvent.objects.count() == 40
    assert sum(groups) == 40
    assert max(groups) > 1  # forty threads at once did share commits


def test_a_row_the_database_refuses_fails_alone_not_its_group(smstake_endpoint):
    def insert(i: int) -> int:
        # PostgreSQL's jsonb refuses the NUL character: the one bad row of the group.
        headers = {"x-bad": "\x00"} if i == 7 else {"x-n": str(i)}
        return inbox_writer.inbound_event_insert(
            _row(smstake_endpoint.pk, f"body {i}".encode(), headers=headers)
        )

    results = _concurrently(20, insert)

    assert isinstance(results[7], DatabaseError)
    stored = set(InboundEvent.objects.values_list("body", flat=True))
    assert {bytes(b) for b in stored} == {f"body {i}".encode() for i in range(20) if i != 7}
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 7)


def test_a_database_outage_fails_every_waiting_webhook_with_503(smstake_endpoint, monkeypatch):
    def down(connection, rows):
        raise OperationalError("connection refused")

    monkeypatch.setattr(inbox_writer, "_rows_insert", down)
    body = fixture_bytes("smstake", "delivered.json")

    response = _post_signed(body)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert not InboundEvent.objects.exists()


def test_a_hung_database_is_answered_503_once_the_wait_is_over_not_retried(
    smstake_endpoint, monkeypatch
):
    release = threading.Event()

    def hung(connection, rows):
        release.wait(5)  # PostgreSQL accepts the statement and never answers
        raise OperationalError("server closed the connection")

    waits: list[dict[str, Any]] = []

    def counted(values):
        waits.append(values)
        return inbox_writer.inbound_event_insert(values)

    monkeypatch.setattr(inbox_writer, "_rows_insert", hung)
    monkeypatch.setattr(inbox_writer, "WAIT_SECONDS", 0.5)
    monkeypatch.setattr("webhooks.receiving.inbound_event_insert", counted)
    body = fixture_bytes("smstake", "delivered.json")

    response = _post_signed(body)
    release.set()

    assert response.status_code == 503
    # One wait, not a second one on top: the provider must hear 503 before it times out.
    assert len(waits) == 1


def test_a_webhook_arriving_during_a_slow_commit_is_stored_by_another_writer(
    smstake_endpoint, monkeypatch
):
    inside, release = threading.Event(), threading.Event()
    real_insert = inbox_writer._rows_insert

    def insert(connection, rows):
        if any(row["body"] == b"slow" for row in rows):
            inside.set()
            release.wait(30)  # a commit that takes its time (a slow WAL flush, say)
        return real_insert(connection, rows)

    monkeypatch.setattr(inbox_writer, "_rows_insert", insert)
    monkeypatch.setattr(inbox_writer, "WAIT_SECONDS", 3.0)
    writer = inbox_writer.GroupWriter("default", writers=2)
    slow = threading.Thread(target=writer.insert, args=(_row(smstake_endpoint.pk, b"slow"),))
    slow.start()
    assert inside.wait(10)
    try:
        # With one writer this row would queue behind the slow commit and time out (503).
        fast_id = writer.insert(_row(smstake_endpoint.pk, b"fast"))
        assert slow.is_alive()  # answered while the other commit is still under way
    finally:
        release.set()
        slow.join(10)
        writer.close()

    assert InboundEvent.objects.get(pk=fast_id).body == b"fast"
    assert {bytes(b) for b in InboundEvent.objects.values_list("body", flat=True)} == {
        b"slow",
        b"fast",
    }
