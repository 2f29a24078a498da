"""Operational endpoints: /healthz (process up), /readyz (dependencies), /metrics."""

import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from forwarding import metrics as forwarding_metrics  # noqa: F401 (registers its counters)
from forwarding.selectors import outbox_backlog
from webhooks.models import InboundEvent
from webhooks.providers.base import constant_time_equal


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: database and broker reachable, the inbox not piling up."""
    checks: dict[str, object] = {}
    ok = True
    try:
        backlog, oldest_age = _backlog()
        checks["database"] = "ok"
        checks["backlog"] = backlog
        checks["oldest_pending_seconds"] = oldest_age
        if backlog > settings.READY_MAX_BACKLOG or oldest_age > settings.READY_MAX_PENDING_AGE:
            ok = False
            checks["inbox"] = "behind"
        # Reported, never a reason to stop taking traffic: a customer's receiver being down
        # must not take dlrdash out of service.
        checks["outbox_backlog"], checks["outbox_overdue_seconds"] = outbox_backlog()
    except DatabaseError as exc:
        ok = False
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["broker"] = _broker_check()
    ok = ok and checks["broker"] in ("ok", "inline")
    return JsonResponse({"ready": ok, "checks": checks}, status=200 if ok else 503)


def _backlog() -> tuple[int, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pending = InboundEvent.objects.filter(state=InboundEvent.State.PENDING)
    oldest = pending.order_by("pk").values_list("received_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return pending.count(), round(age, 1)


def _broker_check() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "inline"
    from dlrdash.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
    except Exception as exc:  # any transport error means "not ready"
        return f"unreachable: {type(exc).__name__}"
    return "ok"


class _BacklogCollector(Collector):
    """The inbox and outbox backlogs, read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            backlog, oldest_age = _backlog()
        except DatabaseError:
            return
        yield GaugeMetricFamily("dlrdash_inbox_pending", "Inbound events waiting.", backlog)
        yield GaugeMetricFamily(
            "dlrdash_inbox_oldest_pending_seconds", "Age of the oldest pending event.", oldest_age
        )
        try:
            outbox, overdue = outbox_backlog()
        except DatabaseError:
            return
        yield GaugeMetricFamily(
            "dlrdash_outbox_pending", "Forwarded notifications waiting to be sent.", outbox
        )
        yield GaugeMetricFamily(
            "dlrdash_outbox_overdue_seconds", "How long the most overdue one has been due.", overdue
        )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token and not constant_time_equal(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    ):
        return HttpResponse("unauthorized", status=401, content_type="text/plain")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_backlog_registry)
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


_backlog_registry = CollectorRegistry()
_backlog_registry.register(_BacklogCollector())
