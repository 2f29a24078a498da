"""Forwarding end to end: a subscription created through the API receives exactly one
`message.final` per message, verified with `standardwebhooks`, although the receiver is
down at first; messages without a DLR produce `message.no_dlr` soon after their deadline.

    python -m bench.forwarding_e2e                         # 10,000 messages, 120 s down
    python -m bench.forwarding_e2e --messages 2000 --downtime 20

Runs on the bench's own PostgreSQL database (created and dropped, bench/config.py), posts
simulated SMSTAKE, Wavix and Infobip DLRs (duplicates and out-of-order ones included)
through the real receiving view, and plays the Celery worker (inbox drain) and beat
(forwarding tick every FORWARDING_TICK_SECONDS) on two threads. `scenario_run` is also
what tests/forwarding/test_done_when.py runs, smaller, on the test database.
"""

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from base64 import b64encode
from datetime import UTC, datetime
from typing import Any

from . import db

TICK_SECONDS = 1.0


def scenario_run(
    *, messages: int, downtime: float, no_dlr_messages: int, deadline: int, timeout: float
) -> dict[str, Any]:
    from django.conf import settings

    from alerts.models import webhook_secret_generate
    from deliveries import status as st
    from deliveries.models import Message

    settings.OUTBOUND_ALLOWED_HOSTS = [*settings.OUTBOUND_ALLOWED_HOSTS, "127.0.0.1"]
    port, secret = _free_port(), webhook_secret_generate()
    api = _api_client()
    url = f"http://127.0.0.1:{port}/dlr"
    for body in (
        {"name": "orders", "url": url, "secret": secret, "event_types": ["message.final"]},
        {
            "name": "otp fallback",
            "url": url,
            "secret": secret,
            "event_types": ["message.no_dlr"],
            "no_dlr_seconds": deadline,
            "client_ref_prefix": "nodlr_",
        },
    ):
        # secure: the bench runs with DEBUG=0, which redirects plain http to https.
        created = api.post("/api/v1/subscriptions/", body, format="json", secure=True)
        assert created.status_code == 201, created.content
    receiver = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.receiver", str(port), secret, str(downtime)],
        cwd=db.ROOT,
        stdout=subprocess.PIPE,
    )
    started = time.monotonic()
    stop = threading.Event()
    workers = [threading.Thread(target=loop, args=(stop,)) for loop in (_worker, _beat)]
    for worker in workers:
        worker.start()
    try:
        posted = _traffic_post(messages)
        _inbox_empty()
        finals = Message.objects.filter(status__in=st.FINAL_STATUSES).count()
        stats = _wait(port, lambda s: s["messages_with_final"] >= finals, started + timeout)
        recovered = time.monotonic() - started
        registered = _no_dlr_register(api, no_dlr_messages)
        stats = _wait(
            port, lambda s: s["messages_with_no_dlr"] >= registered, time.monotonic() + timeout
        )
        time.sleep(2 * TICK_SECONDS)  # anything sent twice would show up now
        stats = _stats(port)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        receiver.terminate()
        receiver.wait(timeout=10)
    lateness = sorted(stats.pop("no_dlr_lateness"))
    return {
        "messages": messages,
        "requests_posted": posted,
        "messages_with_a_final_status": finals,
        "receiver_down_seconds": downtime,
        "all_finals_received_after_seconds": round(recovered, 1),
        "no_dlr_registered": registered,
        "no_dlr_deadline_seconds": deadline,
        "no_dlr_lateness_max": lateness[-1] if lateness else None,
        "no_dlr_lateness_p99": lateness[int(0.99 * (len(lateness) - 1))] if lateness else None,
        **stats,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_client() -> Any:
    from django.contrib.auth.models import Group, User
    from rest_framework.test import APIClient

    user, _ = User.objects.get_or_create(username="e2e-admin")
    user.groups.add(Group.objects.get(name="Administrator"))
    client = APIClient()
    client.force_authenticate(user)
    return client


def _traffic_post(messages: int) -> int:
    """Signed DLRs through the real receiving view, in the providers' order."""
    from django.test import Client

    from webhooks.models import WebhookEndpoint
    from webhooks.simulation import TrafficGenerator, smstake_signature

    endpoints = {
        provider: WebhookEndpoint.objects.get_or_create(
            slug=f"e2e-{provider}", defaults={"provider": provider, "secrets": [f"{provider}-s3"]}
        )[0]
        for provider in ("smstake", "wavix", "infobip")
    }
    client = Client(HTTP_HOST="127.0.0.1")
    requests = TrafficGenerator(seed=16, spread_hours=0.5, infobip_share=0.3).requests(messages)
    for request in requests:
        endpoint = endpoints[request.provider]
        secret = endpoint.secrets[0]
        if request.provider == "smstake":
            headers = {"X-SMSTAKE-Signature": smstake_signature(secret, request.body)}
        else:
            auth = b64encode(f"{request.provider}:{secret}".encode()).decode()
            headers = {"Authorization": f"Basic {auth}"}
        answer = client.post(
            endpoint.get_absolute_url(),
            data=request.body,
            content_type="application/json",
            headers=headers,
            secure=True,
        )
        assert answer.status_code == 200, answer.content
    return len(requests)


def _no_dlr_register(api: Any, count: int) -> int:
    now = datetime.now(tz=UTC).isoformat()
    rows = [
        {
            "provider": "smstake",
            "message_id": f"nodlr-{n}",
            "to": "+919812345678",
            "client_ref": f"nodlr_{n}",
            "submitted_at": now,
        }
        for n in range(count)
    ]
    answer = api.post("/api/v1/messages/", rows, format="json", secure=True)
    assert answer.status_code in (200, 201), answer.content
    return count


def _worker(stop: threading.Event) -> None:
    """The Celery worker's share: drain the inbox."""
    from django.db import connection

    from webhooks.inbox import inbox_drain

    try:
        while not stop.is_set():
            if not inbox_drain():
                stop.wait(0.2)
    finally:
        connection.close()


def _beat(stop: threading.Event) -> None:
    """Beat's share: the forwarding tick (no-DLR scan, then send what is due)."""
    from django.db import connection

    from forwarding.tasks import forwarding_tick

    try:
        while not stop.is_set():
            began = time.monotonic()
            forwarding_tick()
            stop.wait(max(0.0, TICK_SECONDS - (time.monotonic() - began)))
    finally:
        connection.close()


def _inbox_empty() -> None:
    from webhooks.models import InboundEvent

    while InboundEvent.objects.filter(state=InboundEvent.State.PENDING).exists():
        time.sleep(0.2)


def _stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as answer:
        return dict(json.loads(answer.read()))


def _wait(port: int, done: Any, until: float) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    while time.monotonic() < until:
        try:
            stats = _stats(port)
        except OSError:  # still down
            stats = {}
        if stats and done(stats):
            return stats
        time.sleep(0.5)
    raise TimeoutError(f"gave up waiting; receiver saw {stats}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--downtime", type=float, default=120)
    parser.add_argument("--no-dlr", type=int, default=200)
    parser.add_argument("--deadline", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    from .config import config_from_env

    config = config_from_env()
    db.database_create(config)
    try:
        db.django_setup(config)
        report = scenario_run(
            messages=args.messages,
            downtime=args.downtime,
            no_dlr_messages=args.no_dlr,
            deadline=args.deadline,
            timeout=args.timeout,
        )
    finally:
        from django.db import connections

        connections.close_all()
        db.database_drop(config)
    print(json.dumps(report, indent=2))
    ok = (
        report["messages_with_final"] == report["messages_with_a_final_status"]
        and report["messages_with_several_finals"] == 0
        and report["unverified"] == 0
        and report["messages_with_no_dlr"] == report["no_dlr_registered"]
        and (report["no_dlr_lateness_max"] or 0) <= 2
    )
    print("DONE-WHEN MET" if ok else "DONE-WHEN NOT MET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
