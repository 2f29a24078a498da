"""Property-based tests of the whole API against its own OpenAPI schema.

Every operation in /api/schema/, called as a superuser with a token, with bounded examples:
no response may be a 5xx, and every documented response must match its schema.
Deselect with `-m "not schemathesis"` when iterating on something else.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dlrdash.wsgi import application

from ..factories import make_user

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def _connections_kept_open() -> Iterator[None]:
    # Schemathesis calls the WSGI app directly, so Django's end-of-request hook would close
    # the connection that holds the test's transaction (Django's own test client disconnects
    # it the same way). SQLite's in-memory test database hides this; PostgreSQL does not.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(db: None) -> str:
    user = make_user(username="schemathesis", superuser=True)
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_documented(
    case, superuser_token, _connections_kept_open
):
    case.call_and_validate(
        headers={"Authorization": f"Token {superuser_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
