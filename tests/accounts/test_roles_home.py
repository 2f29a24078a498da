"""Each role lands on its own page, sees only the links it can open, and is told plainly
when it reaches a page that is not for it."""

import pytest
from django.test import Client

from ..factories import make_user

pytestmark = pytest.mark.django_db

DASHBOARD_LINKS = ["/dashboard/", "/campaigns/", "/compare/", "/dlt/", "/alerts/"]


def _client_for(role: str | None, *, superuser: bool = False) -> Client:
    client = Client()
    client.force_login(make_user(role, superuser=superuser))
    return client


@pytest.mark.parametrize(
    ("role", "home"),
    [("Support", "/trace/"), ("Campaign manager", "/dashboard/"), ("Administrator", "/dashboard/")],
)
def test_the_root_takes_each_role_to_its_home(role, home):
    response = _client_for(role).get("/")

    assert response.status_code == 302
    assert response["Location"] == home


def test_the_root_sends_someone_signed_out_to_the_login_and_back():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/"


def _nav_links(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Pages">', 1)[1].split("</nav>", 1)[0]
    return [part.split('"', 1)[0] for part in nav.split('href="')[1:]]


@pytest.mark.parametrize(
    ("role", "page", "links"),
    [
        ("Support", "/trace/", ["/trace/", "/admin/", "/digests/", "/api/docs/"]),
        (
            "Campaign manager",
            "/dashboard/",
            [*DASHBOARD_LINKS, "/costs/", "/admin/", "/digests/", "/api/docs/"],
        ),
        (
            "Administrator",
            "/dashboard/",
            [*DASHBOARD_LINKS, "/costs/", "/trace/", "/admin/", "/digests/", "/api/docs/"],
        ),
    ],
)
def test_the_top_bar_offers_a_role_only_the_pages_it_can_open(role, page, links):
    client = _client_for(role)
    html = client.get(page).content.decode()

    assert _nav_links(html) == links
    for link in links:
        assert client.get(link).status_code == 200, link
    # Log out is a POST form (Django 5), on every page; the profile is one click away.
    assert 'action="/admin/logout/"' in html and 'method="post"' in html
    assert 'href="/profile/"' in html


@pytest.mark.parametrize(
    ("role", "page"), [("Support", "/dashboard/"), ("Campaign manager", "/trace/")]
)
def test_a_page_not_for_the_role_answers_a_styled_403_that_links_home(settings, role, page):
    settings.DEBUG = False
    response = _client_for(role).get(page)

    html = response.content.decode()
    assert response.status_code == 403
    assert "This page is not for your role" in html
    assert 'href="/">Go to your start page' in html
    assert 'class="topbar"' in html and "/static/css/app.css" in html


def test_an_unknown_address_answers_a_styled_404_that_links_home(settings):
    settings.DEBUG = False
    response = _client_for("Campaign manager").get("/no/such/page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Nothing here" in html and "/no/such/page/" in html
    assert 'href="/">Go to your start page' in html
    assert 'class="topbar"' in html


def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    from django.template import loader

    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in html
    assert 'href="/">Go to your start page' in html
    assert "Log out" not in html


def test_the_admin_view_site_link_leads_home_and_its_trace_link_is_for_tracers_only():
    client = _client_for("Administrator")
    admin_page = client.get("/admin/").content.decode()

    assert 'href="/">View site' in admin_page
    assert 'href="/trace/">Trace' in admin_page
    manager_admin = _client_for("Campaign manager").get("/admin/").content.decode()
    assert 'href="/trace/">Trace' not in manager_admin
    assert client.get("/", follow=True).redirect_chain[-1] == ("/dashboard/", 302)


def test_the_favicon_is_served():
    response = Client().get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
