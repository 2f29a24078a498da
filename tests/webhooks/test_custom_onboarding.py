"""A gateway described only by a sample callback and a status list, onboarded in the admin.

An Administrator fills in the custom mapping on the endpoint form, checks a pasted sample
in the "try it" box, gives the gateway the URL; the gateway's real request is then found
in the trace with the mapped status.
"""

import hashlib
import hmac
import json
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from deliveries.models import Message
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker
from ..factories import make_user
from ..helpers import fixture_bytes
from .providers.custom_cases import BATCH
from .providers.custom_cases import RESELLER as RESELLER_MAPPING

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/webhookendpoint/"
SECRET = "reseller-token-0123456789"
# A typical Indian SMS reseller's DLR, as its documentation shows it: a GET, its own names.
RESELLER_QUERY = (
    "msgid=A1B2C3D4&status=DELIVRD&mobile=919876543210&dtime=2026-12-01%2010:15:00&err=000"
)


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(make_user("Administrator"))
    return client


def _form(slug: str, **mapping: str | list[str]) -> dict[str, object]:
    """The add form as an Administrator fills it in: the endpoint, then the mapping."""
    fields: dict[str, object] = {
        "provider": "custom",
        "slug": slug,
        "active": "on",
        "allowed_ips": "",
        "add_secret": SECRET,
        "map_methods": ["GET"],
        "map_format": "query",
        "map_time_format": "iso8601",
        "map_default_channel": "sms",
        "map_auth_kind": "token",
        "map_auth_algorithm": "sha256",
        "map_auth_encoding": "hex",
        "map_auth_tolerance": "300",
        "map_auth_timestamp_separator": ".",
    }
    return fields | {f"map_{key}": value for key, value in mapping.items()}


RESELLER_FORM = {
    "provider_name": "acme-reseller",
    "fields_message_id": "msgid",
    "fields_status": "status",
    "fields_to": "mobile",
    "fields_done_at": "dtime",
    "fields_error_code": "err",
    "time_format": "strftime",
    "time_pattern": "%Y-%m-%d %H:%M:%S",
    "time_zone": "Asia/Kolkata",
    "statuses": "DELIVRD = delivered\nUNDELIV = undelivered\nEXPIRED = expired\nREJECTD = rejected",
}


def test_a_get_reseller_is_onboarded_in_the_admin_and_its_report_shows_in_the_trace(
    administrator, client, django_capture_on_commit_callbacks
):
    response = administrator.post(f"{ENDPOINTS}add/", _form("acme", **RESELLER_FORM))
    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint = WebhookEndpoint.objects.get(slug="acme")
    assert endpoint.mapping["statuses"]["DELIVRD"] == "delivered"

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get(f"/webhooks/acme/?{RESELLER_QUERY}&token={SECRET}")
    run_worker()  # with a broker, processing is the worker's job

    assert answer.status_code == 200
    message = Message.objects.get(message_id="A1B2C3D4")
    assert (message.provider, message.status, message.to) == (
        "acme-reseller",
        "delivered",
        "+919876543210",
    )
    assert message.error_code == ""  # "000": no error
    # 10:15 in India is 04:45 UTC.
    assert message.delivered_at is not None
    assert message.delivered_at.isoformat() == "2026-12-01T04:45:00+00:00"
    trace = administrator.get("/trace/", {"q": "A1B2C3D4"}, follow=True).content.decode()
    assert "A1B2C3D4" in trace and "DELIVRD" in trace


def test_a_json_gateway_with_a_list_of_reports_and_an_hmac_header(
    administrator, client, django_capture_on_commit_callbacks
):
    form = _form(
        "acme-json",
        provider_name="acme-json",
        methods=["POST"],
        format="json",
        reports_path="data.items",
        fields_message_id="id",
        fields_status="state",
        fields_to="recipient",
        fields_client_ref="ref",
        fields_error_code="error.code",
        fields_error_text="error.text",
        fields_done_at="times.done",
        time_format="epoch_s",
        statuses="DELIVERED = delivered\nEXPIRED = expired",
        auth_kind="hmac",
        auth_header="X-Gateway-Signature",
        auth_prefix="sha256=",
    )
    assert administrator.post(f"{ENDPOINTS}add/", form).status_code == 302
    body = fixture_bytes("custom", "batch.json")
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/webhooks/acme-json/",
            body,
            content_type="application/json",
            headers={"X-Gateway-Signature": f"sha256={signature}"},
        )
    run_worker()  # with a broker, processing is the worker's job

    assert answer.status_code == 200
    statuses = dict(Message.objects.values_list("message_id", "status"))
    assert statuses == {"gw-100001": "delivered", "gw-100002": "expired"}
    expired = Message.objects.get(message_id="gw-100002")
    assert (expired.error_code, expired.client_ref) == ("27", "otp-7782")
    assert "validity period expired" in expired.error_message
    event = InboundEvent.objects.get()
    assert event.headers["x-gateway-signature"] == "[redacted]"
    trace = administrator.get("/trace/", {"q": "otp-7782"}, follow=True).content.decode()
    assert "gw-100002" in trace


def test_a_wrong_signature_is_refused_with_401(administrator, client):
    form = _form(
        "acme-json",
        methods=["POST"],
        format="json",
        fields_message_id="id",
        fields_status="state",
        statuses="DELIVERED = delivered",
        auth_kind="hmac",
        auth_header="X-Gateway-Signature",
    )
    assert administrator.post(f"{ENDPOINTS}add/", form).status_code == 302

    answer = client.post(
        "/webhooks/acme-json/",
        b'{"id": "1", "state": "DELIVERED"}',
        content_type="application/json",
        headers={"X-Gateway-Signature": "0" * 64},
    )

    assert answer.status_code == 401
    assert not Message.objects.exists()


def test_mapping_mistakes_are_reported_on_the_fields_they_concern(administrator):
    form = _form(
        "broken",
        provider_name="Twilio!",
        methods=["GET"],
        format="json",
        fields_message_id="data..id",
        fields_error_text="message",
        time_format="strftime",
        time_pattern="no directives",
        time_zone="Mars/Olympus",
        statuses="DELIVRD = arrived\nthis line has no equals sign",
    )
    response = administrator.post(f"{ENDPOINTS}add/", form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "lower-case" in errors["map_provider_name"][0]
    assert "GET callback has no body" in errors["map_methods"][0]
    assert "is not a path" in errors["map_fields_message_id"][0]
    assert "line 2" in errors["map_statuses"][0]
    assert not WebhookEndpoint.objects.filter(slug="broken").exists()

    form = _form("broken", **{**RESELLER_FORM, "statuses": "DELIVRD = arrived"})
    form |= {"map_fields_error_text": "message", "map_time_zone": "Mars/Olympus"}
    errors = administrator.post(f"{ENDPOINTS}add/", form).context["adminform"].form.errors
    assert "'arrived' is not one of" in errors["map_statuses"][0]
    assert "Mars/Olympus" in errors["map_time_zone"][0]
    # The log keeps no message text: a field read from it would be gone when parsed.
    assert "message text is not stored" in errors["map_fields_error_text"][0]


def test_a_built_in_providers_name_is_refused(administrator):
    form = _form("mine", **{**RESELLER_FORM, "provider_name": "wavix"})

    errors = administrator.post(f"{ENDPOINTS}add/", form).context["adminform"].form.errors

    assert "built-in provider" in errors["map_provider_name"][0]


def _sample(administrator: Client, endpoint: WebhookEndpoint, **data: str) -> str:
    url = f"{ENDPOINTS}{endpoint.pk}/sample/"
    return administrator.post(url, data).content.decode()


def test_the_try_it_box_shows_normalized_reports_with_masked_numbers_and_stores_nothing(
    administrator,
):
    administrator.post(f"{ENDPOINTS}add/", _form("acme", **RESELLER_FORM))
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


def test_an_endpoint_without_a_mapping_keeps_reports_until_one_is_set(
    client, django_capture_on_commit_callbacks
):
    call_command("create_endpoint", "--provider", "custom", "--slug", "later", "--secret", SECRET)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get(f"/webhooks/later/?{RESELLER_QUERY}&token={SECRET}")
    run_worker()  # with a broker, processing is the worker's job

    assert answer.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.outcome, event.error) == ("unparseable", "the endpoint's mapping is not set")
    assert quote("A1B2C3D4") in event.query_string  # kept, to reprocess once it is set


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


def test_the_change_form_shows_the_mapping_and_a_new_status_is_added_and_audited(administrator):
    from audit.models import AuditEntry

    endpoint = WebhookEndpoint.objects.create(
        provider="custom", slug="acme", secrets=[SECRET], mapping=RESELLER_MAPPING
    )
    url = f"{ENDPOINTS}{endpoint.pk}/change/"
    form = administrator.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value not in (None, "", [])}
    assert "DELIVRD = delivered" in data["map_statuses"]
    assert data["map_fields_to"] == "mobile" and data["map_methods"] == ["GET"]

    data["active"] = "on"
    data["map_statuses"] += "\nNDNC = rejected"
    response = administrator.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint.refresh_from_db()
    assert endpoint.mapping["statuses"]["NDNC"] == "rejected"
    assert endpoint.mapping["fields"] == RESELLER_MAPPING["fields"]
    assert endpoint.secrets == [SECRET]
    entry = AuditEntry.objects.get(action="endpoint.change")
    assert "mapping" in entry.details["changes"]


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


def test_a_custom_endpoint_may_be_saved_before_its_mapping_is_known(administrator):
    form = _form("later")

    response = administrator.post(f"{ENDPOINTS}add/", form)

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(slug="later").mapping == {}


def test_the_try_it_box_works_for_a_built_in_provider_too(administrator, smstake_endpoint):
    body = fixture_bytes("smstake", "delivered.json").decode()

    html = _sample(
        administrator, smstake_endpoint, method="POST", content_type="application/json", body=body
    )

    assert "1 report" in html and "delivered" in html.partition('id="sample-result"')[2]
