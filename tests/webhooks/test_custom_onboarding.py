"""A gateway described only by a sample callback and a status list, onboarded in the admin.

An Administrator fills in the custom mapping on the endpoint form, checks a pasted sample
in the "try it" box, gives the gateway the URL; the gateway's real request is then found
in the trace with the mapped status.
"""

import hashlib
import hmac
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.test import Client

from deliveries.models import Message
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker
from ..helpers import fixture_bytes
from .custom_admin import (
    ENDPOINTS,
    RESELLER_FORM,
    RESELLER_QUERY,
    SECRET,
    administrator_client,
    endpoint_form,
)
from .providers.custom_cases import RESELLER as RESELLER_MAPPING

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator() -> Client:
    return administrator_client()


def test_a_get_reseller_is_onboarded_in_the_admin_and_its_report_shows_in_the_trace(
    administrator, client, django_capture_on_commit_callbacks
):
    response = administrator.post(f"{ENDPOINTS}add/", endpoint_form("acme", **RESELLER_FORM))
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
    form = endpoint_form(
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
    form = endpoint_form(
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
    form = endpoint_form(
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

    form = endpoint_form("broken", **{**RESELLER_FORM, "statuses": "DELIVRD = arrived"})
    form |= {"map_fields_error_text": "message", "map_time_zone": "Mars/Olympus"}
    errors = administrator.post(f"{ENDPOINTS}add/", form).context["adminform"].form.errors
    assert "'arrived' is not one of" in errors["map_statuses"][0]
    assert "Mars/Olympus" in errors["map_time_zone"][0]
    # The log keeps no message text: a field read from it would be gone when parsed.
    assert "message text is not stored" in errors["map_fields_error_text"][0]


def test_a_built_in_providers_name_is_refused(administrator):
    form = endpoint_form("mine", **{**RESELLER_FORM, "provider_name": "wavix"})

    errors = administrator.post(f"{ENDPOINTS}add/", form).context["adminform"].form.errors

    assert "built-in provider" in errors["map_provider_name"][0]


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


def test_a_custom_endpoint_may_be_saved_before_its_mapping_is_known(administrator):
    form = endpoint_form("later")

    response = administrator.post(f"{ENDPOINTS}add/", form)

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(slug="later").mapping == {}
