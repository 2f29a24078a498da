"""Endpoints in the admin: the URL to paste, secret rotation, allowlists, what the list
shows, and who may change them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from webhooks.models import InboundEvent

from ..factories import make_user
from ..helpers import SMSTAKE_SECRET
from ..support import smstake_report

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/webhookendpoint/"


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(make_user("Support"))
    return client


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(make_user("Administrator"))
    return client


def test_the_endpoint_page_gives_the_absolute_url_and_never_shows_a_secret(
    smstake_endpoint, administrator
):
    html = administrator.get(f"{ENDPOINTS}{smstake_endpoint.pk}/change/").content.decode()

    assert "http://testserver/webhooks/smstake/" in html
    assert "Developers → Webhooks" in html  # the provider's setup help
    assert SMSTAKE_SECRET not in html
    assert "…6789" in html  # a fingerprint is all there is


def test_a_secret_is_rotated_by_adding_then_retiring(smstake_endpoint, administrator):
    url = f"{ENDPOINTS}{smstake_endpoint.pk}/change/"
    fields = {"slug": "smstake", "active": "on", "allowed_ips": ""}

    administrator.post(url, {**fields, "add_secret": "whsec_new_secret_abcd"})
    smstake_endpoint.refresh_from_db()
    assert smstake_endpoint.secrets == [SMSTAKE_SECRET, "whsec_new_secret_abcd"]

    form = administrator.get(url).context["adminform"].form
    old_id = next(v for v, label in form.fields["retire_secrets"].choices if label == "…6789")
    administrator.post(url, {**fields, "retire_secrets": [old_id]})
    smstake_endpoint.refresh_from_db()
    assert smstake_endpoint.secrets == ["whsec_new_secret_abcd"]


def test_the_last_secret_cannot_be_retired(smstake_endpoint, administrator):
    url = f"{ENDPOINTS}{smstake_endpoint.pk}/change/"
    form = administrator.get(url).context["adminform"].form
    [(secret_id, _)] = form.fields["retire_secrets"].choices

    response = administrator.post(
        url, {"slug": "smstake", "active": "on", "retire_secrets": [secret_id]}
    )

    assert "needs at least one secret" in response.content.decode()
    smstake_endpoint.refresh_from_db()
    assert smstake_endpoint.secrets == [SMSTAKE_SECRET]


def test_an_allowlist_entry_must_be_an_address_or_network(smstake_endpoint, administrator):
    url = f"{ENDPOINTS}{smstake_endpoint.pk}/change/"

    bad = administrator.post(url, {"slug": "smstake", "allowed_ips": "10.0.0.0/8\nnot-an-ip"})
    administrator.post(url, {"slug": "smstake", "allowed_ips": " 10.0.0.0/8 \n\n203.0.113.7"})

    assert "not an address or a network" in bad.content.decode()
    smstake_endpoint.refresh_from_db()
    assert smstake_endpoint.allowed_ips == "10.0.0.0/8\n203.0.113.7"


def test_the_endpoint_list_shows_auth_failures_and_unparseable_events(post_smstake, administrator):
    post_smstake(smstake_report(), signature="sha256=bad")
    post_smstake(b"not json")
    post_smstake(b"[]")
    old = InboundEvent.objects.latest("pk")
    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=3))

    response = administrator.get(ENDPOINTS)

    [endpoint] = response.context["cl"].result_list
    assert (endpoint.auth_failures_hour, endpoint.auth_failures_day) == (1, 1)
    assert (endpoint.unparseable_hour, endpoint.unparseable_day) == (1, 2)
    assert "never" not in response.content.decode()


def test_forged_requests_do_not_count_as_the_last_dlr(post_smstake, administrator):
    post_smstake(smstake_report(), signature="sha256=forged")

    [endpoint] = administrator.get(ENDPOINTS).context["cl"].result_list

    assert endpoint.last_report_at is None
    assert endpoint.last_received_at is not None


def test_support_can_view_but_not_change_endpoints(smstake_endpoint, support):
    page = support.get(f"{ENDPOINTS}{smstake_endpoint.pk}/change/")

    assert page.status_code == 200
    assert 'name="add_secret"' not in page.content.decode()
    assert support.post(f"{ENDPOINTS}add/", {"slug": "x"}).status_code == 403
