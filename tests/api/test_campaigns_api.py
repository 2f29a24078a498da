"""GET/POST /api/v1/campaigns/: limit-offset lists, filters and validation."""

import pytest

from deliveries.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params", [{"limit": "501"}, {"limit": "x"}, {"offset": "-1"}, {"offset": "²"}]
)
def test_bad_limits_and_offsets_are_a_400(admin_api, params):
    response = admin_api.get("/api/v1/campaigns/", params)

    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_campaigns_filter_by_name_and_prefix(admin_api):
    Campaign.objects.create(name="Diwali 2026", ref_prefix="diwali26_")
    Campaign.objects.create(name="OTP", ref_prefix="otp_")

    by_name = admin_api.get("/api/v1/campaigns/", {"name": "diwali"}).json()
    by_prefix = admin_api.get("/api/v1/campaigns/", {"ref_prefix": "otp_"}).json()

    assert [c["name"] for c in by_name["results"]] == ["Diwali 2026"]
    assert [c["name"] for c in by_prefix["results"]] == ["OTP"]
    assert by_name["count"] == 1


def test_a_duplicate_prefix_is_a_400_naming_the_field(admin_api):
    Campaign.objects.create(name="OTP", ref_prefix="otp_")

    response = admin_api.post(
        "/api/v1/campaigns/", {"name": "Again", "ref_prefix": "otp_"}, format="json"
    )

    assert response.status_code == 400
    assert "ref_prefix" in response.json()
