"""The tools around a custom endpoint: the "try it" box, create_endpoint --mapping, the
endpoints API's mapping, and the webhook log masking the numbers a mapping names."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from deliveries.models import Message
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker
from ..factories import make_user
from ..helpers import fixture_bytes
from .custom_admin import (
    ENDPOINTS,
    RESELLER_FORM,
    RESELLER_QUERY,
    SECRET,
    administrator_client,
    endpoint_form,
)
from .providers.custom_cases import BATCH
from .providers.custom_cases import RESELLER as RESELLER_MAPPING

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator() -> Client:
    return administrator_client()


def _sample(administrator: Client, endpoint: WebhookEndpoint, **data: str) -> str:
    url = f"{ENDPOINTS}{endpoint.pk}/sample/"
    return administrator.post(url, data).content.decode()


def test_the_try_it_box_shows_normalized_reports_with_masked_numbers_and_stores_nothing(
    administrator,
):
    administrator.post(f"{ENDPOINTS}add/", endpoint_form("acme", **RESELLER_FORM))
    endpoint = WebhookEndpoint.objects.get(slug="acme")
    page = administrator.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert f"{ENDPOINTS}{endpoint.pk}/sample/" in page

    html = _sample(administrator, endpoint, method="GET", query=RESELLER_QUERY)

    assert "1 report" in html
    result = html.partition('id="sample-result"')[2]  # the form above echoes the sample
    assert "A1B2C3D4" in result and "delivered" in result and "acme-reseller" in result
    assert "+91 98••••3210" in result and "9876543210" not in result
    assert not Message.objects.exists() and not InboundEvent.objects.exists()

    unknown = _sample(administrator, endpoint, method="GET", query="msgid=9&status=NEWWORD")
    assert "NEWWORD" in unknown and "not in the mapping" in unknown

    missing = _sample(administrator, endpoint, method="GET", query="status=DELIVRD")
    assert "Not readable: missing message id" in missing


def test_the_try_it_box_reads_a_json_list_and_shows_the_price(administrator):
    endpoint = WebhookEndpoint.objects.create(
        provider="custom", slug="acme-json", secrets=[SECRET], mapping=BATCH
    )
    body = fixture_bytes("custom", "batch.json").decode()

    html = _sample(
        administrator, endpoint, method="POST", content_type="application/json", body=body
    )

    assert "2 reports" in html and "gw-100002" in html and "expired" in html
    assert "0.0025 USD" in html
    broken = _sample(
        administrator, endpoint, method="POST", content_type="application/json", body="{oops"
    )
    assert "Not readable: body is not valid JSON" in broken


def test_support_cannot_open_the_try_it_box():
    endpoint = WebhookEndpoint.objects.create(provider="custom", slug="acme", secrets=[SECRET])
    support = Client()
    support.force_login(make_user("Support"))

    assert support.post(f"{ENDPOINTS}{endpoint.pk}/sample/", {"method": "GET"}).status_code == 403


def test_create_endpoint_takes_a_mapping_file_and_refuses_a_bad_one(tmp_path, capsys):
    good = tmp_path / "mapping.json"
    good.write_text(json.dumps(BATCH))
    args = ["create_endpoint", "--provider", "custom", "--slug", "acme-json", "--secret", SECRET]

    call_command(*args, "--mapping", str(good))

    assert WebhookEndpoint.objects.get().mapping["provider_name"] == "acme-json"
    assert "/webhooks/acme-json/" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**BATCH, "statuses": {"DELIVERED": "arrived"}}))
    with pytest.raises(CommandError, match="statuses"):
        call_command(*args, "--mapping", str(bad))


def test_the_webhook_log_masks_the_numbers_of_the_fields_the_mapping_names(
    client, django_capture_on_commit_callbacks
):
    # "dest" and "src" are no names the log knows for numbers: the mapping tells it.
    mapping = {**RESELLER_MAPPING, "fields": {"message_id": "id", "status": "st", "to": "dest"}}
    mapping["fields"]["sender"] = "src"
    WebhookEndpoint.objects.create(
        provider="custom", slug="acme", secrets=[SECRET], mapping=mapping
    )
    with django_capture_on_commit_callbacks(execute=True):
        query = f"id=1&st=DELIVRD&dest=919876543210&src=919812345678&token={SECRET}"
        assert client.get(f"/webhooks/acme/?{query}").status_code == 200
    run_worker()  # with a broker, processing is the worker's job
    event = InboundEvent.objects.get()
    support = Client()
    support.force_login(make_user("Support"))

    html = support.get(f"/admin/webhooks/inboundevent/{event.pk}/change/").content.decode()
    api = support.get(f"/api/v1/webhook-events/{event.pk}/").json()

    assert "dest = +91 98••••3210" in html and "9876543210" not in html
    assert "9812345678" not in html
    assert "9876543210" not in api["query_string"]


def test_the_endpoints_api_takes_a_mapping_and_names_what_is_wrong_in_it():
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(make_user("Administrator"))
    endpoint = {"provider": "custom", "slug": "acme-json", "new_secret": SECRET}

    refused = api.post(
        "/api/v1/endpoints/",
        {**endpoint, "mapping": {**BATCH, "statuses": {"DELIVERED": "arrived"}}},
        format="json",
    )
    created = api.post("/api/v1/endpoints/", {**endpoint, "mapping": BATCH}, format="json")

    assert refused.status_code == 400
    assert refused.json()["mapping"][0].startswith("statuses: 'DELIVERED': 'arrived'")
    assert created.status_code == 201
    assert created.json()["mapping"]["provider_name"] == "acme-json"


def test_the_try_it_box_works_for_a_built_in_provider_too(administrator, smstake_endpoint):
    body = fixture_bytes("smstake", "delivered.json").decode()

    html = _sample(
        administrator, smstake_endpoint, method="POST", content_type="application/json", body=body
    )

    assert "1 report" in html and "delivered" in html.partition('id="sample-result"')[2]
