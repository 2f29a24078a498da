"""Property-based tests of the whole API against its own OpenAPI schema.

Every operation in /api/schema/, called as a superuser with a token, with bounded examples:
no response may be a 5xx, and every documented response must match its schema.
Deselect with `-m "not schemathesis"` when iterating on something else.
"""

import pytest
import schemathesis
from django.contrib.auth.models import User
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dlrdash.wsgi import application

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def superuser_token(db: None) -> str:
    user = User.objects.create_superuser("schemathesis", password="not-used")
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_documented(case, superuser_token):  # type: ignore[no-untyped-def]
    case.call_and_validate(
        headers={"Authorization": f"Token {superuser_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
