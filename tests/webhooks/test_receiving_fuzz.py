"""Whatever arrives at the receiving view, the answer is a 2xx or a 4xx — never a 500 —
and whatever an authentic request holds, it never holds up the reports behind it."""

import itertools

import pytest
from django.conf import settings as django_settings
from django.db.models import Max
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as s

from deliveries.models import Message
from webhooks.inbox import inbox_drain
from webhooks.models import InboundEvent

from ..helpers import examples, smstake_sign
from ..support import smstake_report

pytestmark = pytest.mark.django_db

header_text = s.text(
    alphabet=s.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=["Cs"]),
    max_size=300,
)


@settings(
    max_examples=examples(150),
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


# Everything JSON can carry in a string, NULs and lone surrogates included (json.dumps
# escapes them, so the body itself is valid UTF-8), and often the characters no column holds.
any_text = s.text(alphabet=s.characters(exclude_categories=()), max_size=300)
awkward_text = s.text(alphabet=s.sampled_from("a\x00\ud800\udfff\ufeffé"), min_size=1)
hostile_values = s.one_of(
    awkward_text,
    any_text,
    s.sampled_from(["0001-01-01T00:00:00+05:30", "9999-12-31T23:59:59-05:00", "x" * 300]),
    s.integers(min_value=-(2**70), max_value=2**70),
    s.floats(),
    s.booleans(),
    s.none(),
)
# Any of the report's fields replaced, each independently.
smstake_changes = s.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        ["message_id", "status", "to", "from", "operator", "client_ref", "tag", "channel",
         "dlt_template_id", "submitted_at", "delivered_at", "segments", "error_message"],
        hostile_values,
    ),
)  # fmt: skip
authentic_bodies = s.one_of(
    s.binary(max_size=2000),
    smstake_changes.map(lambda fields: smstake_report(**fields)),
    # Nested past what a recursive walk (or the JSON parser) can follow.
    s.integers(min_value=1, max_value=1500).map(
        lambda depth: b'{"message_id": ' + b"[" * depth + b"]" * depth + b"}"
    ),
    s.just(b"\xef\xbb\xbf" + smstake_report()),  # a BOM
)
_good_ids = itertools.count()


@settings(
    max_examples=examples(25),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=authentic_bodies)
@example(body=smstake_report(message_id="x\ud800"))
@example(body=smstake_report(message_id="x\x00", operator="\x00"))
@example(body=b'{"a": ' * 600 + b"1" + b"}" * 600)
def test_any_authentic_body_ends_processed_or_parked_and_the_next_report_is_still_applied(
    post_smstake, body
):
    since = InboundEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    good = f"good-{next(_good_ids)}"

    codes = [post_smstake(b).status_code for b in (body, smstake_report(message_id=good))]
    for _ in range(django_settings.INBOX_MAX_ATTEMPTS):  # past every backoff
        InboundEvent.objects.filter(state="pending").update(next_attempt_at=None)
        inbox_drain()

    assert codes == [200, 200]
    states = InboundEvent.objects.filter(pk__gt=since).values_list("state", flat=True)
    assert set(states) <= {"done", "failed"}
    assert Message.objects.get(message_id=good).status == "delivered"
