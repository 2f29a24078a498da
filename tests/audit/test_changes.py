"""Who changed an endpoint, a secret, a role or a user: through the admin or a command."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.forms import MultiWidget
from django.test import Client

from audit.models import AuditEntry
from webhooks.models import WebhookEndpoint

from ..factories import make_user, role_group
from ..helpers import SMSTAKE_SECRET

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/webhookendpoint/"
USERS = "/admin/auth/user/"
GROUPS = "/admin/auth/group/"
NEW_SECRET = "whsec_rotated_secret_5555"


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(make_user("Administrator", username="asha"))
    return client


@pytest.fixture
def superuser() -> Client:
    client = Client()
    client.force_login(make_user(superuser=True))
    return client


def entries(prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__startswith=prefix).order_by("pk"))


def form_data(client: Client, url: str) -> dict[str, Any]:
    """What a browser posts back from the change form when nothing is edited."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        names = [name]
        if field.show_hidden_initial:  # e.g. date_joined: a hidden copy of the initial value
            names.append(form.add_initial_prefix(name))
        for key in names:
            data |= _posted(key, field, form[name].value())
    return data


def _posted(key: str, field: Any, value: Any) -> dict[str, Any]:
    if isinstance(field.widget, MultiWidget):
        parts = field.widget.decompress(value) or []
        return {
            f"{key}_{i}": widget.format_value(part) or ""
            for i, (widget, part) in enumerate(zip(field.widget.widgets, parts, strict=True))
        }
    if isinstance(value, bool):
        return {key: "on"} if value else {}
    if isinstance(value, list | tuple):
        return {key: [str(v) for v in value]}
    return {} if value is None else {key: value}


def no_secret_in(entry: AuditEntry, *secrets: str) -> bool:
    text = json.dumps(entry.details)
    return not any(secret in text for secret in secrets)


# --- endpoints and their secrets -----------------------------------------------------------


def test_creating_an_endpoint_in_the_admin_is_recorded_without_its_secret(administrator):
    administrator.post(
        f"{ENDPOINTS}add/",
        {"provider": "smstake", "slug": "acme", "active": "on", "add_secret": NEW_SECRET},
    )

    [entry] = entries("endpoint.")
    endpoint = WebhookEndpoint.objects.get()
    assert (entry.action, entry.actor_username) == ("endpoint.create", "asha")
    assert (entry.object_type, entry.object_id) == ("webhooks.webhookendpoint", str(endpoint.pk))
    assert entry.details["values"]["slug"] == "acme"
    assert entry.details["secrets"] == ["secrets"]
    assert no_secret_in(entry, NEW_SECRET)


def test_changing_an_endpoint_records_what_changed_from_what(smstake_endpoint, administrator):
    url = f"{ENDPOINTS}{smstake_endpoint.pk}/change/"
    data = form_data(administrator, url)
    del data["active"]  # unticked

    administrator.post(url, {**data, "allowed_ips": "203.0.113.7"})

    [entry] = entries("endpoint.")
    assert entry.action == "endpoint.change"
    assert entry.details == {
        "changes": {"active": [True, False], "allowed_ips": ["", "203.0.113.7"]}
    }


def test_a_secret_rotation_is_recorded_apart_and_counted_never_shown(
    smstake_endpoint, administrator
):
    url = f"{ENDPOINTS}{smstake_endpoint.pk}/change/"

    administrator.post(url, {**form_data(administrator, url), "add_secret": NEW_SECRET})

    [entry] = entries("endpoint.")
    assert entry.action == "endpoint.secret_change"
    assert entry.details == {"secrets": {"secrets": {"before": 1, "after": 2}}}
    assert no_secret_in(entry, NEW_SECRET, SMSTAKE_SECRET, SMSTAKE_SECRET[-4:])


def test_deleting_an_endpoint_is_recorded(smstake_endpoint, administrator):
    administrator.post(f"{ENDPOINTS}{smstake_endpoint.pk}/delete/", {"post": "yes"})

    [entry] = entries("endpoint.")
    assert (entry.action, entry.object_id) == ("endpoint.delete", str(smstake_endpoint.pk))
    assert entry.object_repr == "smstake (smstake)"
    assert no_secret_in(entry, SMSTAKE_SECRET)


def test_create_endpoint_records_the_endpoint_and_each_rotation():
    args = ["create_endpoint", "--provider", "smstake", "--slug", "acme"]
    call_command(*args, "--secret", "old-secret", stdout=None)
    call_command(*args, "--secret", "old-secret", "--secret", NEW_SECRET, stdout=None)
    call_command(*args, "--secret", "old-secret", "--secret", NEW_SECRET, stdout=None)  # same

    created, rotated = entries("endpoint.")
    assert created.action == "endpoint.create"
    assert created.actor is None and created.details["command"] == "create_endpoint"
    assert rotated.action == "endpoint.secret_change"
    assert rotated.details["secrets"] == {"secrets": {"before": 1, "after": 2}}
    assert no_secret_in(rotated, NEW_SECRET, "old-secret")


# --- users and roles -----------------------------------------------------------------------


def test_creating_a_user_in_the_admin_is_recorded_without_the_password(administrator):
    administrator.post(
        f"{USERS}add/",
        {
            "username": "ravi",
            "password1": "a-long-new-passphrase-7",
            "password2": "a-long-new-passphrase-7",
            "usable_password": "true",
        },
    )

    [entry] = entries("user.")
    assert (entry.action, entry.object_repr) == ("user.create", "ravi")
    assert entry.details["secrets"] == ["password"]
    assert "password" not in entry.details["values"]


def test_granting_superuser_staff_and_a_role_records_each_change(superuser):
    user = make_user(username="ravi")
    support = role_group("Support")
    url = f"{USERS}{user.pk}/change/"

    data = form_data(superuser, url)
    superuser.post(url, {**data, "is_staff": "on", "is_superuser": "on", "groups": [support.pk]})

    [entry] = entries("user.")
    assert (entry.action, entry.actor_username, entry.object_repr) == (
        "user.change",
        "root",
        "ravi",
    )
    assert entry.details == {
        "changes": {
            "is_staff": [False, True],
            "is_superuser": [False, True],
            "groups": {"added": ["Support"], "removed": []},
        }
    }


def test_saving_a_user_without_changes_records_nothing(superuser):
    user = make_user(username="ravi")
    url = f"{USERS}{user.pk}/change/"

    superuser.post(url, form_data(superuser, url))

    assert entries("user.") == []


def test_a_password_change_is_recorded(administrator):
    user = make_user(username="ravi")

    response = administrator.post(
        f"{USERS}{user.pk}/password/",
        {"password1": "another-long-passphrase-8", "password2": "another-long-passphrase-8"},
    )

    assert response.status_code == 302
    [entry] = entries("user.")
    assert (entry.action, entry.object_repr, entry.details) == ("user.password_change", "ravi", {})


def test_deleting_users_is_recorded_one_entry_each(superuser):
    ids = [make_user(username=name).pk for name in ("ravi", "sita")]

    superuser.post(USERS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})

    assert [(e.action, e.object_repr) for e in entries("user.")] == [
        ("user.delete", "ravi"),
        ("user.delete", "sita"),
    ]


def test_changing_a_roles_permissions_is_recorded(superuser):
    role = role_group("Support")
    url = f"{GROUPS}{role.pk}/change/"
    data = form_data(superuser, url)
    full_phone = Permission.objects.get(codename="view_full_phone")

    superuser.post(url, {**data, "permissions": [*data["permissions"], str(full_phone.pk)]})

    [entry] = entries("role.")
    assert (entry.action, entry.object_repr) == ("role.change", "Support")
    assert entry.details == {
        "changes": {"permissions": {"added": ["deliveries.view_full_phone"], "removed": []}}
    }
