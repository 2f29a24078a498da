"""The privilege table: who may not do what, on every surface (admin, API, login).

Each row names a person, what they try, and the refusal they meet; after each table, a
few controls show that the same people can still do what their role is for.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alerts.models import AlertRule
from deliveries.models import Campaign, DeliveryRollup
from webhooks.models import InboundEvent, WebhookEndpoint

from .deliveries.traffic import traffic_apply
from .factories import make_user, role_group
from .helpers import WAVIX_SECRET

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
WHSEC = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3"


def person(who: str) -> User:
    """Someone as the table names them: a role, "no role", "staff, no role" or "superuser"."""
    if who == "superuser":
        return make_user(superuser=True)
    if who in ("no role", "staff, no role"):
        return make_user(staff=who.startswith("staff"))
    return make_user(who)


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def admin_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The User admin: only superusers make superusers or touch them --------------------


def user_form(user: User, **changes: Any) -> dict[str, Any]:
    """The admin's change form for `user`, as the browser would post it back."""
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    return {**data, **changes}


def permission(code: str) -> Permission:
    app_label, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _tick_superuser_on_themselves(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    response = admin_as(me).post(
        f"/admin/auth/user/{me.pk}/change/", user_form(me, is_superuser="on")
    )
    return response, lambda: User.objects.get(pk=me.pk).is_superuser


def _tick_superuser_on_a_colleague(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    colleague = make_user("Support")
    response = admin_as(me).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, is_superuser="on")
    )
    return response, lambda: User.objects.get(pk=colleague.pk).is_superuser


def _set_a_superusers_password(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    response = admin_as(me).post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "taken-over-2026", "password2": "taken-over-2026", "usable_password": "true"},
    )
    return response, lambda: User.objects.get(pk=root.pk).check_password("taken-over-2026")


def _deactivate_a_superuser(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    form = user_form(root)
    del form["is_active"]
    response = admin_as(me).post(f"/admin/auth/user/{root.pk}/change/", form)
    return response, lambda: not User.objects.get(pk=root.pk).is_active


def _grant_themselves_a_permission_they_lack(
    me: User, root: User
) -> tuple[Any, Callable[[], bool]]:
    extra = permission("auth.delete_user")
    response = admin_as(me).post(
        f"/admin/auth/user/{me.pk}/change/", user_form(me, user_permissions=[extra.pk])
    )
    return (
        response,
        lambda: User.objects.get(pk=me.pk).user_permissions.filter(pk=extra.pk).exists(),
    )


def _join_a_group_with_more_permissions(me: User, root: User) -> tuple[Any, Callable[[], bool]]:
    group = Group.objects.create(name="Auditors")
    group.permissions.add(permission("auth.delete_user"))
    groups = [*(g.pk for g in me.groups.all()), group.pk]
    response = admin_as(me).post(f"/admin/auth/user/{me.pk}/change/", user_form(me, groups=groups))
    return response, lambda: User.objects.get(pk=me.pk).groups.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    ("attempt", "refusal"),
    [
        (_tick_superuser_on_themselves, "saved without it: read-only"),
        (_tick_superuser_on_a_colleague, "saved without it: read-only"),
        (_set_a_superusers_password, 403),
        (_deactivate_a_superuser, 403),
        (_grant_themselves_a_permission_they_lack, "form error"),
        (_join_a_group_with_more_permissions, "form error"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else str(value),
)
def test_an_administrator_cannot_raise_privileges_in_the_user_admin(attempt, refusal):
    me, root = make_user("Administrator"), make_user(superuser=True)

    response, happened = attempt(me, root)

    assert not happened()
    if refusal == 403:
        assert response.status_code == 403
    elif refusal == "form error":
        assert response.status_code == 200
        assert "would grant permissions you do not have" in response.content.decode()
    else:
        assert response.status_code == 302


def test_an_administrator_sees_is_superuser_read_only_and_a_superuser_as_view_only():
    me, root = make_user("Administrator"), make_user(superuser=True)
    client = admin_as(me)

    own_page = client.get(f"/admin/auth/user/{me.pk}/change/").content.decode()
    root_page = client.get(f"/admin/auth/user/{root.pk}/change/")

    assert 'name="is_superuser"' not in own_page
    assert 'name="is_staff"' in own_page
    assert root_page.status_code == 200
    assert 'name="username"' not in root_page.content.decode()
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403


def test_an_administrator_still_gives_colleagues_roles_and_resets_their_passwords():
    me, colleague = make_user("Administrator"), make_user("Support")
    manager = role_group("Campaign manager")
    client = admin_as(me)

    changed = client.post(
        f"/admin/auth/user/{colleague.pk}/change/",
        user_form(
            colleague,
            groups=[manager.pk],
            user_permissions=[permission("deliveries.view_message").pk],
        ),
    )
    password = client.post(
        f"/admin/auth/user/{colleague.pk}/password/",
        {
            "password1": "a-new-start-2026",
            "password2": "a-new-start-2026",
            "usable_password": "true",
        },
    )

    assert (changed.status_code, password.status_code) == (302, 302)
    colleague.refresh_from_db()
    assert [g.name for g in colleague.groups.all()] == ["Campaign manager"]
    assert colleague.check_password("a-new-start-2026")


def test_a_superuser_may_make_another_superuser():
    root, colleague = make_user(superuser=True), make_user("Support")

    admin_as(root).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, is_superuser="on")
    )

    assert User.objects.get(pk=colleague.pk).is_superuser


def test_permissions_beyond_the_editor_are_kept_when_an_administrator_saves_a_user():
    me, colleague = make_user("Administrator"), make_user("Support")
    granted_by_root = permission("auth.delete_user")
    colleague.user_permissions.add(granted_by_root)

    response = admin_as(me).post(
        f"/admin/auth/user/{colleague.pk}/change/", user_form(colleague, first_name="Asha")
    )

    assert response.status_code == 302
    assert colleague.user_permissions.filter(pk=granted_by_root.pk).exists()


# --- The API asks for what the admin and the pages ask for ----------------------------

# (who, method, url, expected status). `{campaign}` is a campaign's id.
API_TABLE = [
    # Statistics, comparison and DLT are the dashboard's figures: Campaign manager and
    # Administrator, as the pages.
    ("no role", "GET", "/api/v1/stats/", 403),
    ("no role", "GET", "/api/v1/compare/", 403),
    ("no role", "GET", "/api/v1/dlt/", 403),
    ("no role", "GET", "/api/v1/campaigns/{campaign}/stats/", 403),
    ("staff, no role", "GET", "/api/v1/stats/", 403),
    ("Support", "GET", "/api/v1/stats/", 403),
    ("Support", "GET", "/api/v1/compare/", 403),
    ("Support", "GET", "/api/v1/dlt/", 403),
    ("Support", "GET", "/api/v1/campaigns/{campaign}/stats/", 403),
    ("Campaign manager", "GET", "/api/v1/stats/", 200),
    ("Campaign manager", "GET", "/api/v1/compare/", 200),
    ("Campaign manager", "GET", "/api/v1/dlt/", 200),
    ("Campaign manager", "GET", "/api/v1/campaigns/{campaign}/stats/", 200),
    ("Administrator", "GET", "/api/v1/stats/", 200),
    ("Administrator", "GET", "/api/v1/campaigns/{campaign}/stats/", 200),
    ("superuser", "GET", "/api/v1/dlt/", 200),
    # Being staff grants nothing by itself: the admin shows such a user nothing either.
    ("staff, no role", "GET", "/api/v1/messages/", 403),
    ("staff, no role", "GET", "/api/v1/campaigns/", 403),
    ("no role", "GET", "/api/v1/messages/", 403),
    ("Support", "GET", "/api/v1/messages/", 200),
    ("Campaign manager", "GET", "/api/v1/messages/", 200),
    # Deleting a campaign takes deliveries.delete_campaign, in the API as in the admin.
    ("Campaign manager", "DELETE", "/api/v1/campaigns/{campaign}/", 403),
    ("Administrator", "DELETE", "/api/v1/campaigns/{campaign}/", 403),
    ("Support", "DELETE", "/api/v1/campaigns/{campaign}/", 403),
    ("superuser", "DELETE", "/api/v1/campaigns/{campaign}/", 204),
    ("Campaign manager", "PATCH", "/api/v1/campaigns/{campaign}/", 200),
]


@pytest.mark.parametrize(("who", "method", "url", "expected"), API_TABLE)
def test_the_api_applies_the_roles_of_the_admin_and_the_pages(who, method, url, expected):
    campaign = Campaign.objects.create(name="Diwali", ref_prefix="diwali_")
    client = api_as(person(who))

    response = client.generic(
        method,
        url.format(campaign=campaign.pk),
        '{"name": "Diwali 2026"}' if method == "PATCH" else "",
        content_type="application/json",
    )

    assert response.status_code == expected, response.content


def test_the_admin_refuses_a_campaign_manager_the_delete_the_api_refuses():
    campaign = Campaign.objects.create(name="Diwali", ref_prefix="diwali_")
    client = admin_as(make_user("Campaign manager"))

    response = client.post(f"/admin/deliveries/campaign/{campaign.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def _rollup_cells() -> list[tuple]:
    """Every non-empty rollup cell with its sums, in a stable order."""
    columns = [f.column for f in DeliveryRollup._meta.fields if f.column != "id"]
    rows = DeliveryRollup.objects.exclude(messages=0, call_seconds=0).values_list(*columns)
    return sorted(rows, key=repr)


def _delete_over_the_api(campaign: Campaign) -> None:
    response = api_as(person("superuser")).delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 204


def _delete_in_the_admin(campaign: Campaign) -> None:
    client = admin_as(person("superuser"))
    response = client.post(f"/admin/deliveries/campaign/{campaign.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302


def _delete_with_the_admin_action(campaign: Campaign) -> None:
    client = admin_as(person("superuser"))
    response = client.post(
        "/admin/deliveries/campaign/",
        {"action": "delete_selected", "_selected_action": [campaign.pk], "post": "yes"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "delete", [_delete_over_the_api, _delete_in_the_admin, _delete_with_the_admin_action]
)
def test_deleting_a_campaign_leaves_the_rollups_a_rebuild_would_write(delete):
    traffic_apply(messages=80, seed=11, now=NOW)
    campaign = Campaign.objects.get(ref_prefix="otp_")
    assert campaign.messages.exists()

    delete(campaign)
    after_delete = _rollup_cells()
    call_command("rebuild_rollups", stdout=None)

    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert after_delete == _rollup_cells()
    assert not DeliveryRollup.objects.filter(campaign_id=campaign.pk).exists()


# --- Endpoints with reports still pending are deactivated, not deleted -----------------


@pytest.fixture
def busy_endpoint() -> WebhookEndpoint:
    """An endpoint with a report acknowledged to the provider but not yet applied."""
    endpoint = WebhookEndpoint.objects.create(
        provider="wavix", slug="wavix", secrets=[WAVIX_SECRET]
    )
    InboundEvent.objects.create(
        endpoint=endpoint,
        received_at=NOW,
        method="POST",
        body=b'{"message_id": "x", "status": "delivered"}',
        auth_ok=True,
        response_code=200,
        state=InboundEvent.State.PENDING,
    )
    return endpoint


def test_deleting_an_endpoint_with_pending_reports_over_the_api_is_a_409(busy_endpoint):
    client = api_as(person("Administrator"))

    response = client.delete(f"/api/v1/endpoints/{busy_endpoint.pk}/")

    assert response.status_code == 409
    assert "deactivate" in response.json()["detail"].lower()
    assert InboundEvent.objects.filter(endpoint=busy_endpoint).count() == 1


@pytest.mark.parametrize("via", ["delete view", "delete action"])
def test_the_admin_refuses_to_delete_an_endpoint_with_pending_reports(busy_endpoint, via):
    # A superuser: an Administrator may not delete the log at all (no delete_inboundevent).
    client = admin_as(person("superuser"))

    if via == "delete view":
        url = f"/admin/webhooks/webhookendpoint/{busy_endpoint.pk}/delete/"
        page = client.get(url).content.decode()
        client.post(url, {"post": "yes"})
    else:
        page = client.post(
            "/admin/webhooks/webhookendpoint/",
            {"action": "delete_selected", "_selected_action": [busy_endpoint.pk], "post": "yes"},
        ).content.decode()

    assert WebhookEndpoint.objects.filter(pk=busy_endpoint.pk).exists()
    assert "pending" in page
    assert "deactivate" in page.lower()


def test_an_endpoint_with_pending_reports_may_be_deactivated_then_deleted_once_drained(
    busy_endpoint,
):
    client = api_as(person("Administrator"))

    deactivated = client.patch(
        f"/api/v1/endpoints/{busy_endpoint.pk}/", {"active": False}, format="json"
    )
    InboundEvent.objects.update(state=InboundEvent.State.DONE)
    deleted = client.delete(f"/api/v1/endpoints/{busy_endpoint.pk}/")

    assert (deactivated.status_code, deleted.status_code) == (200, 204)


def test_the_admin_still_deletes_an_endpoint_whose_reports_are_applied(busy_endpoint):
    InboundEvent.objects.update(state=InboundEvent.State.DONE)
    client = admin_as(person("superuser"))

    response = client.post(
        f"/admin/webhooks/webhookendpoint/{busy_endpoint.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not InboundEvent.objects.exists()


# --- Alert rule signing secrets are write-only -----------------------------------------


def test_an_alert_rules_signing_secret_is_never_returned_by_the_api():
    client = api_as(person("Campaign manager"))

    created = client.post(
        "/api/v1/alert-rules/",
        {"name": "Airtel", "webhook_url": "https://hooks.example.com/x", "webhook_secret": WHSEC},
        format="json",
    )
    rule = AlertRule.objects.get()
    listed = client.get("/api/v1/alert-rules/")
    one = client.get(f"/api/v1/alert-rules/{rule.pk}/")
    generated = AlertRule.objects.create(name="generated")
    listed_again = client.get("/api/v1/alert-rules/")

    assert created.status_code == 201
    assert rule.webhook_secret == WHSEC
    for response in (created, listed, one, listed_again):
        text = response.content.decode()
        assert WHSEC not in text
        assert generated.webhook_secret not in text
        assert "whsec_" not in text
    assert one.json()["webhook_secret_set"] is True


def test_an_alert_rules_secret_can_still_be_replaced_over_the_api():
    rule = AlertRule.objects.create(name="Airtel")
    client = api_as(person("Administrator"))

    response = client.patch(
        f"/api/v1/alert-rules/{rule.pk}/", {"webhook_secret": WHSEC}, format="json"
    )

    assert response.status_code == 200
    assert WHSEC not in response.content.decode()
    rule.refresh_from_db()
    assert rule.webhook_secret == WHSEC


# --- Login lockout: per name and per address, whatever the proxy forwards --------------


def admin_login(client: Client, username: str, password: str, **environ: str) -> int:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **environ
    )
    return response.status_code


# Each attempt: (user name, request environ) for the i-th wrong password. The test
# client's REMOTE_ADDR is 127.0.0.1, one of the trusted proxies.
def _one_name_through_the_proxy_with_a_new_forwarded_for_each_time(i: int) -> tuple:
    return "ravi", {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i + 1}"}


def _one_name_from_many_addresses(i: int) -> tuple:
    return "ravi", {"REMOTE_ADDR": f"203.0.113.{i + 1}"}


def _many_names_from_one_address(i: int) -> tuple:
    return f"guess-{i}", {"REMOTE_ADDR": "203.0.113.7"}


def _many_names_from_one_client_forging_forwarded_for_through_the_proxy(i: int) -> tuple:
    # The proxy appends the address it saw; what the client wrote stays on the left.
    return f"guess-{i}", {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i + 1}, 203.0.113.7"}


@pytest.mark.axes
@pytest.mark.parametrize(
    "attempt",
    [
        _one_name_through_the_proxy_with_a_new_forwarded_for_each_time,
        _one_name_from_many_addresses,
        _many_names_from_one_address,
        _many_names_from_one_client_forging_forwarded_for_through_the_proxy,
    ],
    ids=lambda attempt: attempt.__name__.strip("_"),
)
def test_repeated_wrong_passwords_are_locked_out(client, settings, attempt):
    make_user(username="ravi", password="correct-horse-1", staff=True)
    limit = settings.AXES_FAILURE_LIMIT

    codes = [
        admin_login(client, name, "wrong", **environ)
        for name, environ in map(attempt, range(limit))
    ]
    _, environ = attempt(limit)
    right_password = admin_login(client, "ravi", "correct-horse-1", **environ)

    assert codes == [200] * (limit - 1) + [429]
    assert right_password == 429


@pytest.mark.axes
def test_another_user_from_the_same_proxy_still_logs_in_after_a_lockout(client, settings):
    make_user(username="ravi", password="correct-horse-1", staff=True)
    make_user(username="asha", password="right-pony-2", staff=True)
    for i in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "ravi", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}")

    assert admin_login(client, "asha", "right-pony-2", HTTP_X_FORWARDED_FOR="198.51.100.200") == 302
