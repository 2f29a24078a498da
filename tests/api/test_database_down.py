"""The database down or its connection lost: the API answers JSON 503 with Retry-After (the
client retries later), never Django's HTML 500 page."""

from collections.abc import Callable, Iterator

import pytest
from django.db import InterfaceError, OperationalError, connections
from rest_framework.test import APIClient

from ..factories import make_user


@pytest.fixture
def database_down(db: None) -> Iterator[Callable[[Exception], None]]:
    """Every query from now on fails as it does when PostgreSQL is unreachable (until the
    test ends: restored before the test database is rolled back)."""
    wrapper = connections["default"]

    def down(error: Exception) -> None:
        def cursor(*args: object, **kwargs: object) -> None:
            raise error

        wrapper.cursor = cursor  # type: ignore[method-assign,assignment]

    yield down
    wrapper.__dict__.pop("cursor", None)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError('connection to server at "127.0.0.1", port 5432 failed'),
        InterfaceError("connection already closed"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/messages/", "/api/v1/campaigns/", "/api/v1/stats/"])
def test_a_token_client_gets_a_json_503_with_retry_after(
    admin_api, database_down, error, path
) -> None:
    admin_api.raise_request_exception = False
    database_down(error)

    response = admin_api.get(path)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert response.json() == {"detail": "The service is temporarily unavailable; retry later."}


def test_a_signed_in_person_gets_the_same_503(database_down) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_login(make_user(username="ops", superuser=True))
    database_down(OperationalError("server closed the connection unexpectedly"))

    response = client.get("/api/v1/messages/", HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
