"""The custom adapter without a database: what a mapping reads, and how it authenticates.

The shared suites cover every authentication kind through the receiving view; these are
the mapping's own choices: time formats and zones, paths into lists, each HMAC variant.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhooks.mappings import mapping_validate
from webhooks.providers import AuthError, InboundRequest, ParseError, get_provider
from webhooks.providers import base as provider_base
from webhooks.providers.custom_mapping import KEYS, MappingError, mapping_load

from ...helpers import examples
from .custom_cases import BATCH, RESELLER

SECRET = "gateway-secret-0123456789"
NOW = 1796033700


def _adapter(mapping: dict[str, Any]):
    return get_provider("custom", mapping)


def _get(query: str) -> InboundRequest:
    pairs = [pair.partition("=") for pair in query.split("&")]
    return InboundRequest("GET", "", {}, {k: [v] for k, _, v in pairs})


def _post(body: Any, **headers: str) -> InboundRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return InboundRequest("POST", "", {"content-type": "application/json", **headers}, {}, raw)


@pytest.mark.parametrize(
    ("time_format", "pattern", "zone", "value", "expected"),
    [
        ("strftime", "%Y-%m-%d %H:%M:%S", "Asia/Kolkata", "2026-12-01 10:15:00", "04:45:00"),
        ("strftime", "%d/%m/%Y %H:%M", "UTC", "01/12/2026 10:15", "10:15:00"),
        ("iso8601", "", "Asia/Kolkata", "2026-12-01T10:15:00+00:00", "10:15:00"),
        ("iso8601", "", "Asia/Kolkata", "2026-12-01T10:15:00", "04:45:00"),
        ("epoch_s", "", "UTC", "1796033700", "10:15:00"),
        ("epoch_ms", "", "UTC", "1796033700000", "10:15:00"),
    ],
)
def test_times_are_read_in_the_mapped_format_and_zone(time_format, pattern, zone, value, expected):
    mapping = {**RESELLER, "time_format": time_format, "time_pattern": pattern, "time_zone": zone}

    [report] = _adapter(mapping).parse(_get(f"msgid=1&status=DELIVRD&dtime={value}"))

    assert report.delivered_at.astimezone(UTC).time().isoformat() == expected


def test_an_unreadable_time_costs_the_time_not_the_status():
    [report] = _adapter(RESELLER).parse(_get("msgid=1&status=DELIVRD&dtime=yesterday"))

    assert (report.status, report.delivered_at) == ("delivered", None)


def test_paths_reach_into_lists_and_a_top_level_list_is_a_batch():
    mapping = {
        **BATCH,
        "reports_path": "",
        "fields": {"message_id": "results.0.id", "status": "results.0.state"},
    }
    body = [{"results": [{"id": "a", "state": "delivered"}]}, {"results": []}]

    adapter = _adapter(mapping)
    [report] = adapter.parse(_post(body))

    assert (report.message_id, report.status) == ("a", "delivered")
    assert adapter.item_errors == ["reports[1]: missing message id (at results.0.id)"]


def test_status_values_match_ignoring_case_and_an_unknown_one_is_kept_raw():
    reports = _adapter(RESELLER).parse(_get("msgid=1&status=delivrd"))
    reports += _adapter(RESELLER).parse(_get("msgid=2&status=NDNC"))

    assert [(r.status, r.provider_status) for r in reports] == [
        ("delivered", "delivrd"),
        ("unknown", "NDNC"),
    ]


def _hmac_mapping(**auth: Any) -> dict[str, Any]:
    return {**BATCH, "auth": {"kind": "hmac", "header": "X-Sig", **auth}}


@pytest.mark.parametrize(
    ("auth", "signature"),
    [
        ({"algorithm": "sha1"}, lambda b: hmac.new(SECRET.encode(), b, "sha1").hexdigest()),
        (
            {"algorithm": "sha512", "encoding": "base64", "prefix": "v1="},
            lambda b: (
                "v1=" + base64.b64encode(hmac.new(SECRET.encode(), b, "sha512").digest()).decode()
            ),
        ),
        (
            {"algorithm": "sha256", "prefix": "sha256="},
            lambda b: "sha256=" + hmac.new(SECRET.encode(), b, "sha256").hexdigest().upper(),
        ),
    ],
)
def test_each_hmac_variant_verifies_its_own_signature_only(auth, signature):
    adapter = _adapter(_hmac_mapping(**auth))
    body = b'{"data": {"items": []}}'

    adapter.verify(_post(body, **{"x-sig": signature(body)}), [SECRET])
    with pytest.raises(AuthError):
        adapter.verify(_post(body + b" ", **{"x-sig": signature(body)}), [SECRET])
    with pytest.raises(AuthError):
        adapter.verify(_post(body, **{"x-sig": signature(body)}), ["another-secret"])


def test_a_timestamped_signature_outside_the_tolerance_is_refused(monkeypatch):
    monkeypatch.setattr(provider_base, "clock", lambda: NOW)
    adapter = _adapter(_hmac_mapping(timestamp_header="X-Time", tolerance=60))
    body = b"{}"

    def signed(timestamp: int) -> InboundRequest:
        mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        return _post(body, **{"x-sig": mac.hexdigest(), "x-time": str(timestamp)})

    adapter.verify(signed(NOW - 30), [SECRET])
    with pytest.raises(AuthError, match="tolerance"):
        adapter.verify(signed(NOW - 120), [SECRET])


def test_basic_auth_checks_the_user_name_as_well_as_the_secret():
    adapter = _adapter({**RESELLER, "auth": {"kind": "basic", "username": "acme"}})

    def with_basic(user: str, password: str) -> InboundRequest:
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
        return InboundRequest("GET", "", {"authorization": f"Basic {credentials}"})

    adapter.verify(with_basic("acme", SECRET), [SECRET])
    with pytest.raises(AuthError):
        adapter.verify(with_basic("mallory", SECRET), [SECRET])
    with pytest.raises(AuthError):  # the token convention is not basic auth
        adapter.verify(_get(f"token={SECRET}"), [SECRET])


def test_a_mapping_stored_invalid_refuses_requests_rather_than_guessing():
    adapter = _adapter({**RESELLER, "statuses": {"DELIVRD": "arrived"}})

    with pytest.raises(AuthError, match="mapping is invalid"):
        adapter.verify(_get(f"token={SECRET}"), [SECRET])
    with pytest.raises(ParseError, match="mapping is invalid"):
        adapter.parse(_get("msgid=1&status=DELIVRD"))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"reports_path": "data.items"}, "reports_path"),  # a query string has no list
        ({"fields": {"status": "status"}}, "fields.message_id"),
        ({"auth": {"kind": "hmac", "header": "X-Sig"}}, "auth.kind"),  # GET: no body to sign
        ({"auth": {"kind": "hmac", "header": "bad header"}}, "auth.header"),
        ({"methods": ["PUT"]}, "methods"),
        ({"time_format": "strftime", "time_pattern": "%Q"}, "time_pattern"),
        ({"eval": "__import__('os')"}, "eval"),
    ],
)
def test_mapping_mistakes_name_the_key(change, key):
    with pytest.raises(MappingError) as raised:
        mapping_load({**RESELLER, **change})

    assert key in raised.value.errors


def test_the_representative_mappings_are_valid():
    assert mapping_load(RESELLER).provider_name == "acme-reseller"
    assert mapping_load(BATCH).reports_path == ("data", "items")


mapping_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
mapping_keys = st.sampled_from(sorted(KEYS | {"fields.status", "auth.kind"}))


@settings(max_examples=examples(150), deadline=None, derandomize=True)
@given(changes=st.dictionaries(mapping_keys, mapping_values, max_size=4))
def test_any_stored_json_is_a_mapping_or_a_named_mistake(changes):
    # What the API and the admin hand over: never anything but MappingError.
    mapping = json.loads(json.dumps(RESELLER))
    for key, value in changes.items():
        outer, _, inner = key.partition(".")
        if inner and isinstance(mapping.get(outer), dict):
            mapping[outer][inner] = value
        else:
            mapping[outer] = value
    try:
        mapping_validate(mapping)
    except MappingError as exc:
        assert exc.errors


def test_a_mapped_price_is_the_reports_price_and_a_malformed_one_leaves_the_cost_unknown():
    item = {"id": "gw-1", "state": "DELIVERED", "cost": {"amount": "0.0025", "currency": "USD"}}
    broken = {"id": "gw-2", "state": "DELIVERED", "cost": {"amount": "n/a", "currency": "USD"}}

    priced, unreadable = _adapter(BATCH).parse(_post({"data": {"items": [item, broken]}}))

    assert (priced.price, priced.currency) == (Decimal("0.0025"), "USD")
    assert (unreadable.price, unreadable.price_unreadable, unreadable.status) == (
        None,
        True,
        "delivered",
    )
