"""The API asks for what the admin and the pages ask for, person by person."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from deliveries.models import Campaign, DeliveryRollup

from ..deliveries.traffic import traffic_apply
from ..factories import make_user
from .people import admin_as, api_as, person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


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


def _rollup_cells() -> list[tuple[object, ...]]:
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
