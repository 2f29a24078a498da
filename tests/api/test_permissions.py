"""Who may do what: anonymous, each role, the sending service, superusers."""

import json

import pytest
from rest_framework.test import APIClient

from deliveries.models import Campaign, Message
from webhooks.models import InboundEvent, WebhookEndpoint

from ..factories import make_user
from ..helpers import ON_POSTGRES, SMSTAKE_SECRET, WAVIX_SECRET, fixture_bytes

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/messages/",
    "/api/v1/campaigns/",
    "/api/v1/webhook-events/",
    "/api/v1/endpoints/",
]


@pytest.fixture
def role_api(token_client):
    def client_for(role: str | None, *, staff: bool = False) -> APIClient:
        return token_client(make_user(role, username=f"user-{role}", staff=staff))

    return client_for


@pytest.mark.parametrize("url", READS)
def test_anonymous_requests_are_a_401(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_wrong_token_is_a_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000")

    assert client.get("/api/v1/messages/").status_code == 401


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Support", [200, 200, 200, 403]),
        ("Campaign manager", [200, 200, 403, 403]),
        ("Administrator", [200, 200, 200, 200]),
        (None, [403, 403, 403, 403]),
    ],
)
def test_reads_follow_the_role(role_api, role, expected):
    client = role_api(role)

    assert [client.get(url).status_code for url in READS] == expected


def test_staff_without_a_role_reads_nothing(role_api):
    client = role_api(None, staff=True)

    assert [client.get(url).status_code for url in READS] == [403, 403, 403, 403]


def test_a_superuser_may_read_everything(admin_api):
    assert [admin_api.get(url).status_code for url in READS] == [200, 200, 200, 200]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("Support", 403), ("Campaign manager", 201), ("Administrator", 201), (None, 403)],
)
def test_campaigns_are_created_by_campaign_managers_and_administrators(role_api, role, expected):
    response = role_api(role).post(
        "/api/v1/campaigns/", {"name": "Diwali", "ref_prefix": "diwali_"}, format="json"
    )

    assert response.status_code == expected


def test_a_campaign_manager_edits_campaigns_but_deletes_none_as_in_the_admin(role_api):
    client = role_api("Campaign manager")
    campaign = Campaign.objects.create(name="Old", ref_prefix="old_")

    patched = client.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "New"}, format="json")
    deleted = client.delete(f"/api/v1/campaigns/{campaign.pk}/")

    assert (patched.status_code, patched.json()["name"]) == (200, "New")
    assert deleted.status_code == 403


@pytest.mark.parametrize("role", ["Support", "Campaign manager", "Administrator"])
def test_registering_messages_needs_the_add_permission_or_the_administrator_role(role_api, role):
    body = {"provider": "smstake", "message_id": "x", "to": "+919876543210"}

    response = role_api(role).post("/api/v1/messages/", body, format="json")

    assert response.status_code == (201 if role == "Administrator" else 403)


def test_the_sending_service_registers_with_its_model_permission(sender_api):
    body = {"provider": "smstake", "message_id": "x", "to": "+919876543210"}

    assert sender_api.post("/api/v1/messages/", body, format="json").status_code == 201
    assert Message.objects.count() == 1


def test_endpoints_never_return_secrets(admin_api):
    created = admin_api.post(
        "/api/v1/endpoints/",
        {"provider": "wavix", "slug": "wavix-main", "new_secret": WAVIX_SECRET},
        format="json",
    )
    endpoint = WebhookEndpoint.objects.get()

    rotated = admin_api.patch(
        f"/api/v1/endpoints/{endpoint.pk}/", {"new_secret": "a-second-secret-123"}, format="json"
    )
    listed = admin_api.get("/api/v1/endpoints/")

    assert created.status_code == 201
    assert rotated.json()["secret_count"] == 2
    endpoint.refresh_from_db()
    assert endpoint.secrets == [WAVIX_SECRET, "a-second-secret-123"]
    for response in (created, rotated, listed):
        assert WAVIX_SECRET not in response.content.decode()
        assert "a-second-secret-123" not in response.content.decode()


def test_a_new_endpoint_needs_a_secret(admin_api):
    response = admin_api.post(
        "/api/v1/endpoints/", {"provider": "wavix", "slug": "w"}, format="json"
    )

    assert response.status_code == 400
    assert "new_secret" in response.json()


def test_webhook_event_bodies_have_secret_values_redacted(post_wavix, token_client):
    body = json.dumps(
        {"message_id": "x", "status": "delivered", "token": "leaked-1", "nested": {"api_key": "k"}}
    ).encode()
    post_wavix(body)
    client = token_client(make_user("Support", username="support", staff=False))

    [event] = client.get("/api/v1/webhook-events/").json()["results"]

    assert "leaked-1" not in json.dumps(event)
    assert '"k"' not in event["body"]
    assert WAVIX_SECRET not in json.dumps(event)
    assert json.loads(event["body"])["message_id"] == "x"


def test_signature_headers_stay_redacted(post_smstake, admin_api):
    post_smstake(fixture_bytes("smstake", "delivered.json"))

    [event] = admin_api.get("/api/v1/webhook-events/").json()["results"]

    assert event["provider"] == "smstake"
    assert "sha256=" not in json.dumps(event["headers"])
    assert SMSTAKE_SECRET not in json.dumps(event)
    assert InboundEvent.objects.count() == 1


def test_token_clients_are_throttled_with_a_clear_429(sender_api, settings, monkeypatch):
    from deliveries.api.common import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/min"})

    codes = [sender_api.get("/api/v1/messages/").status_code for _ in range(3)]
    response = sender_api.get("/api/v1/messages/")

    assert codes == [200, 200, 429]
    assert "throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_session_users_are_not_throttled(admin_client, monkeypatch):
    from deliveries.api.common import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/min"})

    codes = {admin_client.get("/api/v1/messages/").status_code for _ in range(3)}

    assert codes == {200}


def test_recipients_numbers_in_logged_bodies_are_masked_without_the_permission(
    post_smstake, support_api, admin_api
):
    post_smstake(fixture_bytes("smstake", "delivered.json"))

    masked = support_api.get("/api/v1/webhook-events/").json()["results"][0]["body"]
    full = admin_api.get("/api/v1/webhook-events/").json()["results"][0]["body"]

    assert json.loads(masked)["to"] == "+91 98••••3210"
    assert json.loads(full)["to"] == "+919876543210"
    assert json.loads(masked)["operator"] == "JIO"


def test_the_list_endpoints_cost_a_fixed_number_of_queries(
    post_smstake, admin_api, django_assert_num_queries
):
    for i in range(5):
        Campaign.objects.create(name=f"C{i}", ref_prefix=f"c{i}_")
        post_smstake(fixture_bytes("smstake", "delivered.json"))

    # token, count, page (endpoints joined in); on PostgreSQL the table's row estimate comes
    # first, so a big table is never counted in full.
    queries = 4 if ON_POSTGRES else 3
    with django_assert_num_queries(queries):
        assert len(admin_api.get("/api/v1/webhook-events/").json()["results"]) == 5
    with django_assert_num_queries(queries):
        assert len(admin_api.get("/api/v1/campaigns/").json()["results"]) == 5
    with django_assert_num_queries(queries):
        assert len(admin_api.get("/api/v1/endpoints/").json()["results"]) == 1
