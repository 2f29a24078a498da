"""Login lockout: per name and per address, whatever the proxy forwards."""

from typing import Any

import pytest
from django.test import Client

from ..factories import make_user

pytestmark = pytest.mark.django_db


def admin_login(client: Client, username: str, password: str, **environ: Any) -> int:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **environ
    )
    return response.status_code


Attempt = tuple[str, dict[str, str]]


# Each attempt: (user name, request environ) for the i-th wrong password. The test
# client's REMOTE_ADDR is 127.0.0.1, one of the trusted proxies.
def _one_name_through_the_proxy_with_a_new_forwarded_for_each_time(i: int) -> Attempt:
    return "ravi", {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i + 1}"}


def _one_name_from_many_addresses(i: int) -> Attempt:
    return "ravi", {"REMOTE_ADDR": f"203.0.113.{i + 1}"}


def _many_names_from_one_address(i: int) -> Attempt:
    return f"guess-{i}", {"REMOTE_ADDR": "203.0.113.7"}


def _many_names_from_one_client_forging_forwarded_for_through_the_proxy(i: int) -> Attempt:
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
