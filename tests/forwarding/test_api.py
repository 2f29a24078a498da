"""/api/v1/subscriptions/: Administrator only, secrets write-only, refused targets, the
delivery log, replay and the test event."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from forwarding.drain import deliveries_drain
from forwarding.models import FINAL, NO_DLR, Delivery, Subscription

from .test_sending import _delivered

pytestmark = pytest.mark.django_db


def _client(role: str) -> APIClient:
    user = User.objects.create_user(username=role.lower().replace(" ", "_"), password="x")
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api() -> APIClient:
    return _client("Administrator")


def test_an_administrator_creates_a_subscription_and_sees_its_generated_secret_once(api, receiver):
    created = api.post(
        "/api/v1/subscriptions/",
        {
            "name": "OTP fallback",
            "url": receiver.url,
            "event_types": [FINAL, NO_DLR],
            "no_dlr_seconds": 20,
            "providers": ["smstake"],
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert Subscription.objects.get().secrets == [secret]
    shown = api.get(f"/api/v1/subscriptions/{created.json()['id']}/").json()
    assert "secret" not in shown and "secrets" not in shown
    assert shown["secrets_count"] == 1
    assert shown["health"]["backlog"] == 0


def test_a_given_secret_is_kept_and_never_shown(api, receiver):
    created = api.post(
        "/api/v1/subscriptions/",
        {"name": "orders", "url": receiver.url, "secret": receiver.secret, "event_types": [FINAL]},
        format="json",
    )

    assert created.status_code == 201
    assert "secret" not in created.json()
    assert Subscription.objects.get().secrets == [receiver.secret]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://10.0.0.5/hook"}, "url"),
        ({"secret": "not-a-whsec"}, "secret"),
        ({"event_types": ["message.sent"]}, "event_types"),
        ({"event_types": [NO_DLR]}, "no_dlr_seconds"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_reason(api, receiver, body, field):
    base = {"name": "x", "url": receiver.url, "event_types": [FINAL]}

    answer = api.post("/api/v1/subscriptions/", base | body, format="json")

    assert answer.status_code == 400
    assert field in answer.json()


def test_the_refusal_of_a_metadata_target_says_why(api, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    answer = api.post(
        "/api/v1/subscriptions/",
        {"name": "x", "url": "http://169.254.169.254/", "event_types": [FINAL]},
        format="json",
    )

    assert "cloud metadata address" in answer.json()["url"][0]


@pytest.mark.parametrize("role", ["Support", "Campaign manager"])
def test_other_roles_may_neither_read_nor_create_subscriptions(role, subscription):
    client = _client(role)

    assert client.get("/api/v1/subscriptions/").status_code == 403
    assert client.post("/api/v1/subscriptions/", {}, format="json").status_code == 403


def test_the_delivery_log_and_a_replay_through_the_api(api, subscription, receiver):
    _delivered()
    deliveries_drain()
    url = f"/api/v1/subscriptions/{subscription.pk}/"

    log = api.get(url + "deliveries/").json()["results"]
    assert {row["state"] for row in log} == {"delivered"}
    assert {row["webhook_id"] for row in log} == {d.webhook_id for d in Delivery.objects.all()}

    final = Delivery.objects.get(event_type=FINAL)
    replayed = api.post(url + "replay/", {"deliveries": [final.pk]}, format="json")
    assert replayed.status_code == 202 and replayed.json() == {"queued": 1}
    deliveries_drain()
    assert [r.headers["webhook-id"] for r in receiver.received].count(final.webhook_id) == 2

    assert api.post(url + "replay/", {}, format="json").status_code == 400


def test_the_test_event_shows_the_receivers_answer(api, subscription, receiver):
    receiver.answer = lambda _: (200, b'{"received": true}', {})

    answer = api.post(f"/api/v1/subscriptions/{subscription.pk}/test/").json()

    assert answer["ok"] and answer["status_code"] == 200
    assert answer["answer"] == '{"received": true}'
    assert answer["sent"]["type"] == "subscription.test"
    assert receiver.verified[0]["type"] == "subscription.test"


def test_deleting_a_subscription_stops_its_pending_deliveries(api, subscription, receiver):
    _delivered()

    assert api.delete(f"/api/v1/subscriptions/{subscription.pk}/").status_code == 204

    assert deliveries_drain() == 0
    assert receiver.received == []


def test_the_schema_documents_the_payload_as_a_component(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    event = schema["components"]["schemas"]["ForwardedEvent"]
    assert {"type", "version", "sequence", "status", "previous_status", "message"} <= set(
        event["properties"]
    )
    assert "/api/v1/subscriptions/{id}/replay/" in schema["paths"]
