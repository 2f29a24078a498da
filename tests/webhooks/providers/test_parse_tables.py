"""Every fixture through its provider's parse(), without a database: what reports it gives.

The fixture files are the providers' documented payloads (tests/fixtures/<provider>/); each
row lists the reports as (message id, status, provider status, provider code, error code,
channel). The end-to-end tests beside this one show the same reports landing in messages.
"""

from urllib.parse import parse_qs

import pytest

from webhooks.providers import PROVIDERS, InboundRequest

from ...helpers import FIXTURES
from .custom_cases import mapping_of, provider_of, recorded_as
from .signers import SAMPLES, Req, request
from .table_channels import CHANNEL_TABLE
from .table_gateways import GATEWAY_TABLE
from .table_sms import SMS_TABLE
from .table_sms_gateways import SMS_GATEWAY_TABLE

Row = tuple[str, str, str, str, str, str]

TABLE: list[tuple[str, str, list[Row]]] = [
    *SMS_GATEWAY_TABLE,
    *SMS_TABLE,
    *CHANNEL_TABLE,
    *GATEWAY_TABLE,
    # The custom adapter, through the suites' representative mappings (custom_cases.py).
    (
        "custom:token",
        "reseller_delivered.txt",
        [("8f3a1c22-7d1e-4b7a-9c55-0e2b6a1d4f10", "delivered", "DELIVRD", "", "", "sms")],
    ),
    (
        "custom:token",
        "reseller_undelivered.txt",
        [("5b0d7e91-2c4a-4f3e-8a6b-93c1d2e4f5a6", "undelivered", "UNDELIV", "", "001", "sms")],
    ),
    (
        "custom:hmac",
        "batch.json",
        [
            ("gw-100001", "delivered", "DELIVERED", "", "", "sms"),
            ("gw-100002", "expired", "EXPIRED", "", "27", "sms"),
        ],
    ),
]
# Items of a batch that cannot be read are named; the others still count.
ITEM_ERRORS = {
    ("infobip", "mixed_with_bad_item.json"): 2,
    ("standard_webhooks", "batch_with_bad_item.json"): 1,
}


def inbound(req: Req) -> InboundRequest:
    """The request as the receiving view hands it to an adapter."""
    _, _, query = req.path.partition("?")
    headers = {name.lower(): value for name, value in req.headers.items()}
    if req.content_type:
        headers["content-type"] = req.content_type
    return InboundRequest(
        method=req.method,
        url=req.url,
        headers=headers,
        query=parse_qs(query, keep_blank_values=True),
        body=req.body,
    )


def fixture_request(provider: str, name: str) -> InboundRequest:
    # Providers that call back with GET send their JSON variants by POST.
    post = SAMPLES[provider][0] == "GET" and name.endswith(".json")
    return inbound(request(provider, name, method="POST" if post else ""))


@pytest.mark.parametrize(
    ("provider", "fixture", "expected"), TABLE, ids=[f"{p}/{f}" for p, f, _ in TABLE]
)
def test_each_fixture_parses_to_its_reports(provider, fixture, expected):
    adapter = PROVIDERS[provider_of(provider)].configured(mapping_of(provider))

    reports = adapter.parse(fixture_request(provider, fixture))

    assert [
        (r.message_id, r.status, r.provider_status, r.provider_code, r.error_code, r.channel)
        for r in reports
    ] == expected
    assert all(r.provider == recorded_as(provider) for r in reports)
    assert len(adapter.item_errors) == ITEM_ERRORS.get((provider, fixture), 0)


def test_the_table_covers_every_fixture_of_every_provider():
    on_disk = {
        (provider, path.name)
        for provider in PROVIDERS
        if (FIXTURES / provider).is_dir()
        for path in (FIXTURES / provider).iterdir()
        if path.suffix != ".md"  # SOURCES.md says where the fixtures come from
    }

    assert on_disk == {(provider_of(provider), fixture) for provider, fixture, _ in TABLE}
