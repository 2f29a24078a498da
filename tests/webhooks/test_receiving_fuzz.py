"""Whatever arrives at the receiving view, the answer is a 2xx or a 4xx — never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from webhooks.models import InboundEvent

from ..helpers import smstake_sign

pytestmark = pytest.mark.django_db

header_text = s.text(
    alphabet=s.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=["Cs"]),
    max_size=300,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=s.binary(max_size=3000),
    content_type=s.sampled_from(
        [
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "",
            "application/json; charset=latin-1",
        ]
    ),
    signature=s.one_of(header_text, s.just(None)),
    method=s.sampled_from(["POST", "PUT", "GET", "DELETE", "PATCH", "OPTIONS"]),
)
def test_random_requests_never_get_a_500(
    client, smstake_endpoint, body, content_type, signature, method
):
    sig = smstake_sign(body) if signature is None else signature

    response = client.generic(
        method,
        "/webhooks/smstake/",
        data=body,
        content_type=content_type,
        headers={"X-SMSTAKE-Signature": sig},
    )

    assert response.status_code in (200, 401, 405)


def test_a_multipart_body_from_a_confused_sender_is_kept_as_unparseable(post_smstake):
    body = b'--x\r\nContent-Disposition: form-data; name="status"\r\n\r\ndelivered\r\n--x--\r\n'

    assert post_smstake(body, CONTENT_TYPE="multipart/form-data; boundary=x").status_code == 200

    event = InboundEvent.objects.get()
    assert (event.outcome, bytes(event.body)) == ("unparseable", body)


def test_a_repeated_signature_header_is_refused(client, smstake_endpoint):
    from ..helpers import fixture_bytes

    body = fixture_bytes("smstake", "delivered.json")
    # Two headers of one name reach WSGI joined by a comma.
    joined = f"{smstake_sign(body)},{smstake_sign(body)}"

    response = client.post(
        "/webhooks/smstake/",
        data=body,
        content_type="application/json",
        headers={"X-SMSTAKE-Signature": joined},
    )

    assert response.status_code == 401
