"""Who gets in: login lockout, CSRF, security headers."""

import pytest
from django.test import Client

from .factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return make_user(username="ravi", password="correct-horse-1", staff=True)


def admin_login(client: Client, password: str) -> int:
    response = client.post("/admin/login/?next=/admin/", {"username": "ravi", "password": password})
    return response.status_code


@pytest.mark.axes
def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(client, staff_user):
    assert [admin_login(client, "wrong") for _ in range(5)][-1] == 429

    assert admin_login(client, "correct-horse-1") == 429


@pytest.mark.axes
def test_the_right_password_logs_in_before_any_lockout(client, staff_user):
    assert admin_login(client, "wrong") == 200  # the form again, with an error
    assert admin_login(client, "correct-horse-1") == 302


def test_the_admin_login_form_needs_its_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "ravi", "password": "correct-horse-1"})

    assert response.status_code == 403


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/admin/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_api_docs_load_their_assets_locally(admin_client):
    response = admin_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
