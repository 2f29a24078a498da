"""Phase `support`: the pages support staff live in, the API's lists and the CSV export, over
N messages (generated as in the analytics phase) and M webhook-log rows.

Log rows are made server-side (`INSERT … SELECT … generate_series`) over the last three
days, three endpoints, every outcome. Pages are timed in process (Django's test client, a
superuser); each list page is shown beside the COUNT(*) the stock admin (or DRF's
limit/offset pagination) would have run on it, measured once in the same run. The CSV
export is read to its end while this process's resident memory is sampled: the web process
is this one.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from . import db
from .config import Config
from .inprocess import _client
from .loading import messages_load
from .results import Figure, Results, median, percentile

LOG_DAYS = 3
_OUTCOMES = ["applied"] * 7 + ["duplicate", "out_of_order", "unparseable", "orphan"]


def log_load(rows: int) -> float:
    """Replace the webhook log with `rows` generated events; returns the seconds taken."""
    from django.db import connection

    from dlrdash.partitions import partitions_ensure
    from webhooks.models import WebhookEndpoint

    started = time.monotonic()
    now = datetime.now(tz=UTC)
    partitions_ensure(now=now - timedelta(days=LOG_DAYS + 1))
    partitions_ensure(now=now)
    ids = [
        WebhookEndpoint.objects.get_or_create(slug=slug, defaults={"provider": provider})[0].pk
        for slug, provider in [("smstake", "smstake"), ("wavix", "wavix"), ("infobip", "infobip")]
    ]
    outcomes = "(ARRAY[" + ", ".join(f"'{o}'" for o in _OUTCOMES) + "])"
    endpoints = "(ARRAY[" + ", ".join(str(i) for i in ids) + "])"
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE webhooks_inboundevent")
        # Every value interpolated is a constant of this module or a generated id.
        cursor.execute(
            f"""
            INSERT INTO webhooks_inboundevent (endpoint_id, received_at, method, headers,
                query_string, body, remote_addr, auth_ok, auth_error, response_code, state,
                outcome, error, report_count, attempts, processed_at, processing_ms)
            SELECT {endpoints}[1 + i %% 3], at, 'POST', '{{"content-type": "application/json"}}',
                '', convert_to('{{"message_id": "m-' || i || '", "status": "delivered"}}', 'UTF8'),
                '203.0.113.9', true, '', 200, 'done', {outcomes}[1 + (i * 7) %% 11], '',
                1, 1, at + interval '40 milliseconds', 2.5
            FROM (
                SELECT i, %s::timestamptz - (i::float / %s) * interval '{LOG_DAYS} days' AS at
                FROM generate_series(1, %s) AS i
            ) AS drawn
            """,  # noqa: S608
            [now, rows, rows],
        )
        cursor.execute("VACUUM ANALYZE webhooks_inboundevent")
    return time.monotonic() - started


def _fixtures() -> dict[str, Any]:
    from deliveries.models import Campaign, Message
    from webhooks.models import InboundEvent

    message = Message.objects.order_by("-pk").first()
    event = InboundEvent.objects.order_by("-received_at").first()
    assert message is not None and event is not None
    return {
        "message": message,
        "event": event,
        "campaign": Campaign.objects.get(ref_prefix="otp_").pk,
        # As support types it: national format, no country code.
        "phone": "0" + message.to[3:],
    }


def _admin_pages(f: dict[str, Any]) -> list[tuple[str, str, Callable[[], object] | None]]:
    """(name, URL, the COUNT the stock page would run) for every page support opens."""
    from deliveries.models import Message
    from webhooks.models import InboundEvent

    m, e = f["message"], f["event"]
    messages, log = Message.objects, InboundEvent.objects
    by_status = messages.filter(status="failed", campaign_id=f["campaign"])
    by_endpoint = log.filter(endpoint_id=e.endpoint_id, outcome="duplicate")
    cutoff = datetime.now(tz=UTC) - timedelta(hours=6)
    return [
        ("admin messages, default", "/admin/deliveries/message/", messages.count),
        (
            "admin messages, status + campaign",
            f"/admin/deliveries/message/?status__exact=failed&campaign__id__exact={f['campaign']}",
            by_status.count,
        ),
        (
            "admin messages, phone (local format)",
            f"/admin/deliveries/message/?q={f['phone']}",
            None,
        ),
        ("admin messages, client_ref", f"/admin/deliveries/message/?q={m.client_ref}", None),
        (
            "admin messages, no final report after 6 h",
            "/admin/deliveries/message/?no_final_after=6",
            messages.filter(
                status__in=["sent", "submitted", "queued"], created_at__lt=cutoff
            ).count,
        ),
        ("admin message page", f"/admin/deliveries/message/{m.pk}/change/", None),
        ("admin webhook log, default", "/admin/webhooks/inboundevent/", log.count),
        (
            "admin webhook log, endpoint + outcome",
            f"/admin/webhooks/inboundevent/?endpoint__id__exact={e.endpoint_id}"
            "&outcome__exact=duplicate",
            by_endpoint.count,
        ),
        ("admin webhook log, last hour", "/admin/webhooks/inboundevent/?received=1h", None),
        ("admin webhook event", f"/admin/webhooks/inboundevent/{e.pk}/change/", None),
        ("/dlt/ 24 h", "/dlt/?range=24h", None),
    ]


def _api_pages(f: dict[str, Any], next_page: str) -> list[tuple[str, str]]:
    m = f["message"]
    api = "/api/v1/messages/"
    return [
        ("API messages, default", api),
        ("API messages, message_id", f"{api}?message_id={m.message_id}"),
        ("API messages, provider", f"{api}?provider=smstake"),
        ("API messages, status", f"{api}?status=failed"),
        ("API messages, channel", f"{api}?channel=voice"),
        ("API messages, operator", f"{api}?operator=bsnl"),
        ("API messages, campaign", f"{api}?campaign={f['campaign']}"),
        ("API messages, client_ref", f"{api}?client_ref={m.client_ref}"),
        ("API messages, to (local format)", f"{api}?to={f['phone']}"),
        ("API messages, has_error", f"{api}?has_error=true"),
        ("API messages, created_after 1 h", f"{api}?created_after={_hour_ago()}"),
        ("API messages, next cursor page", next_page),
        ("API webhook-events, default", "/api/v1/webhook-events/"),
        ("API webhook-events, outcome", "/api/v1/webhook-events/?outcome=duplicate"),
    ]


def _hour_ago() -> str:
    return (datetime.now(tz=UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def support_run(config: Config, results: Results) -> None:
    from django.db.models import Max

    from deliveries.models import Message

    n, rows = config.support_messages, config.support_log_rows
    # The analytics phase, just before, leaves its last size loaded (ids 1 … n).
    if Message.objects.aggregate(last=Max("pk"))["last"] == n:
        print(f"    reusing the analytics phase's {n:,} messages", flush=True)
    else:
        steps = messages_load(n, config.db_url)
        print(f"    generated {n:,} messages in {sum(steps.values()):.0f} s", flush=True)
    seconds = log_load(rows)
    print(f"    generated {rows:,} webhook-log rows in {seconds:.0f} s", flush=True)
    results.extra["support_load"] = {"messages": n, "log_rows": rows, "log_seconds": seconds}
    size = f"{n / 1e6:g} M messages, {rows / 1e6:g} M log rows"
    client = _client()
    f = _fixtures()
    db.checkpoint()
    for name, url, stock_count in _admin_pages(f):
        _page(config, results, client, name, url, size, 100, stock_count)
    first = client.get("/api/v1/messages/?page_size=50", secure=True).json()
    next_page = (first.get("next") or "/api/v1/messages/").removeprefix("https://testserver")
    for name, url in _api_pages(f, next_page):
        stock = _log_count if "webhook-events" in url else None
        _page(config, results, client, name, url, size, 50, stock)
    # Exported as a campaign manager: numbers masked, as most exports are (and the slower).
    _export(results, _client("Campaign manager"), n)


def _log_count() -> int:
    from webhooks.models import InboundEvent

    return InboundEvent.objects.count()


def _page(
    config: Config,
    results: Results,
    client: Any,
    name: str,
    url: str,
    size: str,
    target: float,
    stock_count: Callable[[], object] | None,
) -> None:
    status = client.get(url, secure=True).status_code
    if status != 200:
        results.add(Figure("support", f"{name} at {size}", None, "ms", note=f"{url}: {status}"))
        return
    samples = []
    for _ in range(config.analytics_requests):
        started = time.perf_counter()
        client.get(url, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
    p95 = percentile(samples, 95)
    base: float | None = None
    if stock_count is not None:
        started = time.perf_counter()
        stock_count()
        base = (time.perf_counter() - started) * 1000
    results.add(
        Figure(
            "support",
            f"{name} p95 at {size}",
            p95,
            "ms",
            "the stock page's COUNT(*)" if base is not None else "",
            base,
            base / p95 if base is not None else None,
            f"≤ {target:g} ms",
            p95 <= target,
            note=f"{len(samples)} requests in process; p50 {median(samples):.0f} ms",
        )
    )


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


EXPORT_ROWS = 1_000_000  # the target's size; the export itself is of every message


def _export(results: Results, client: Any, n: int) -> None:
    """The message CSV export of every message, read for its first EXPORT_ROWS rows (then the
    download is dropped, as a client going away would), with RSS sampled."""
    before = _rss_kib()
    peak, lines, wanted = before, 0, min(n, EXPORT_ROWS) + 1  # and the header
    started = time.perf_counter()
    response = client.get("/dashboard/export/messages.csv", secure=True)
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        if lines % 50_000 < 2:
            peak = max(peak, _rss_kib())
        if lines >= wanted:
            break
    seconds = time.perf_counter() - started
    response.close()
    peak = max(peak, _rss_kib())
    rate = (lines - 1) / seconds
    grown = (peak - before) / 1024
    results.add(
        Figure(
            "support",
            f"CSV export, first {lines - 1:,} rows of {n / 1e6:g} M messages",
            rate,
            "rows/s",
            target="≥ 50,000 rows/s, RSS flat",
            met=rate >= 50_000 and grown < 64,
            note=f"{lines - 1:,} rows in {seconds:.1f} s; RSS {before / 1024:.0f} MiB before, "
            f"+{grown:.0f} MiB at most during",
        )
    )
