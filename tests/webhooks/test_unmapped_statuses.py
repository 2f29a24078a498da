"""Status strings no mapping knows are counted as they are applied and listed in the admin,
so a gateway's new vocabulary is seen the day it appears."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries.models import Message
from webhooks import tasks
from webhooks.inbox import inbox_drain
from webhooks.models import InboundEvent, UnmappedStatus, WebhookEndpoint

from ..conftest import run_worker
from ..factories import make_user
from ..helpers import WAVIX_SECRET
from .providers.custom_cases import RESELLER

pytestmark = pytest.mark.django_db

TOKEN = "reseller-token-0123456789"


@pytest.fixture
def reseller(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        provider="custom", slug="acme", secrets=[TOKEN], mapping=RESELLER
    )


def _callbacks(client: Client, captured, *statuses: str) -> None:
    """The gateway's callbacks, stored and left pending (no inline processing)."""
    with captured(execute=False):
        for number, status in enumerate(statuses):
            query = f"msgid=m{number}&status={status}&mobile=919876543210&token={TOKEN}"
            assert client.get(f"/webhooks/acme/?{query}").status_code == 200


def test_new_vocabulary_is_counted_with_one_statement_per_batch(
    reseller, client, django_capture_on_commit_callbacks
):
    _callbacks(
        client,
        django_capture_on_commit_callbacks,
        "DELIVRD",
        "NDNC_BLOCKED",
        "NDNC_BLOCKED",
        "DLT_SCRUB_FAIL",
        "unknown",  # a word for "unknown" is a mapping, not new vocabulary
    )

    with CaptureQueriesContext(connection) as queries:
        inbox_drain()

    upserts = [q for q in queries if UnmappedStatus._meta.db_table in q["sql"]]
    assert len(upserts) == 1
    counted = {
        row.raw_status: (row.provider, row.count)
        for row in UnmappedStatus.objects.filter(endpoint=reseller)
    }
    assert counted == {"NDNC_BLOCKED": ("acme-reseller", 2), "DLT_SCRUB_FAIL": ("acme-reseller", 1)}
    assert Message.objects.get(message_id="m1").status == "unknown"


def test_counts_add_up_across_batches_and_keep_the_first_sighting(
    reseller, client, django_capture_on_commit_callbacks
):
    _callbacks(client, django_capture_on_commit_callbacks, "NDNC_BLOCKED")
    inbox_drain()
    first = UnmappedStatus.objects.get()

    _callbacks(client, django_capture_on_commit_callbacks, "DELIVRD", "NDNC_BLOCKED")
    inbox_drain()

    row = UnmappedStatus.objects.get()
    assert row.count == 2
    assert row.first_seen == first.first_seen and row.last_seen >= first.last_seen
    assert row.example_event_id == InboundEvent.objects.latest("pk").pk


def test_a_built_in_adapters_unknown_strings_are_counted_too(
    client, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(provider="wavix", slug="wavix", secrets=[WAVIX_SECRET])
    body = {"message_id": "w-1", "status": "scheduled_for_retry", "to": "16865550100"}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/webhooks/wavix/?token={WAVIX_SECRET}",
            json.dumps(body),
            content_type="application/json",
        )
    run_worker()  # with a broker, processing is the worker's job

    row = UnmappedStatus.objects.get()
    assert (row.provider, row.raw_status, row.count) == ("wavix", "scheduled_for_retry", 1)


def test_the_admin_lists_them_with_an_example_event(
    reseller, client, django_capture_on_commit_callbacks
):
    _callbacks(client, django_capture_on_commit_callbacks, "NDNC_BLOCKED", "NDNC_BLOCKED")
    inbox_drain()
    support = Client()
    support.force_login(make_user("Support"))

    html = support.get("/admin/webhooks/unmappedstatus/").content.decode()

    assert "NDNC_BLOCKED" in html and "acme-reseller" in html
    event = InboundEvent.objects.latest("pk")
    assert f"/admin/webhooks/inboundevent/{event.pk}/change/" in html
    assert support.get(f"/admin/webhooks/inboundevent/{event.pk}/change/").status_code == 200


def test_strings_not_seen_within_the_log_retention_are_forgotten(
    reseller, client, django_capture_on_commit_callbacks
):
    _callbacks(client, django_capture_on_commit_callbacks, "NDNC_BLOCKED", "DLT_SCRUB_FAIL")
    inbox_drain()
    UnmappedStatus.objects.filter(raw_status="NDNC_BLOCKED").update(
        last_seen=timezone.now() - timedelta(days=91)
    )

    assert tasks.prune()["unmapped_statuses_deleted"] == 1
    assert list(UnmappedStatus.objects.values_list("raw_status", flat=True)) == ["DLT_SCRUB_FAIL"]


def test_the_endpoint_page_links_to_its_unmapped_statuses(
    reseller, client, django_capture_on_commit_callbacks
):
    _callbacks(client, django_capture_on_commit_callbacks, "NDNC_BLOCKED", "DLT_SCRUB_FAIL")
    inbox_drain()
    administrator = Client()
    administrator.force_login(make_user("Administrator"))

    page = administrator.get(f"/admin/webhooks/webhookendpoint/{reseller.pk}/change/")
    listed = administrator.get(f"/admin/webhooks/unmappedstatus/?endpoint__id__exact={reseller.pk}")

    assert "2 status strings</a> not in the mapping" in page.content.decode()
    assert "DLT_SCRUB_FAIL" in listed.content.decode()
