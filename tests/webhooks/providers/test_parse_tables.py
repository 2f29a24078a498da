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

Row = tuple[str, str, str, str, str, str]

TABLE: list[tuple[str, str, list[Row]]] = [
    (
        "infobip",
        "delivered.json",
        [
            ("MESSAGE-ID-123-xyz", "delivered", "DELIVERED_TO_HANDSET", "5", "", "sms"),
            (
                "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
                "delivered",
                "DELIVERED_TO_HANDSET",
                "5",
                "",
                "sms",
            ),
        ],
    ),
    (
        "infobip",
        "delivered_multipart_price.json",
        [("MULTIPART-ID-7c1e-0b3a", "delivered", "DELIVERED_TO_HANDSET", "5", "", "sms")],
    ),
    (
        "infobip",
        "mixed_with_bad_item.json",
        [
            ("MESSAGE-ID-125-ok", "rejected", "REJECTED_NOT_ENOUGH_CREDITS", "12", "", "sms"),
        ],
    ),
    (
        "infobip",
        "undeliverable_absent_subscriber.json",
        [
            ("MESSAGE-ID-124-abc", "undelivered", "UNDELIVERABLE_NOT_DELIVERED", "9", "27", "sms"),
        ],
    ),
    (
        "jasmin",
        "level1_accepted.txt",
        [
            ("1913d6b6-54b8-4f54-8e0c-5e0a2b1a9c01", "submitted", "ESME_ROK", "1", "", "sms"),
        ],
    ),
    (
        "jasmin",
        "level2_delivered.txt",
        [
            ("1913d6b6-54b8-4f54-8e0c-5e0a2b1a9c01", "delivered", "DELIVRD", "2", "", "sms"),
        ],
    ),
    (
        "jasmin",
        "level2_undelivered.txt",
        [
            ("2a24e7c7-65c9-4a65-9f1d-6f1b3c2bad02", "undelivered", "UNDELIV", "2", "069", "sms"),
        ],
    ),
    (
        "kannel",
        "delivered.txt",
        [
            ("order-6001", "delivered", "DELIVRD", "1", "", "sms"),
        ],
    ),
    (
        "kannel",
        "nack.txt",
        [
            ("order-6003", "rejected", "NACK", "16", "0x0000000b", "sms"),
        ],
    ),
    (
        "kannel",
        "undelivered.txt",
        [
            ("order-6002", "undelivered", "UNDELIV", "2", "001", "sms"),
        ],
    ),
    (
        "messagebird",
        "delivered.txt",
        [
            (
                "efa6405d518d4c0c88cce11f7db775fb",
                "delivered",
                "delivered",
                "successfully delivered",
                "",
                "sms",
            ),
        ],
    ),
    (
        "messagebird",
        "delivered_price.txt",
        [
            (
                "c2b1a09f8e7d4c6b5a493827160f1e2d",
                "delivered",
                "delivered",
                "successfully delivered",
                "",
                "sms",
            ),
        ],
    ),
    (
        "messagebird",
        "delivery_failed_1.txt",
        [
            (
                "efa6405d518d4c0c88cce11f7db775fc",
                "undelivered",
                "delivery_failed",
                "unknown subscriber",
                "1",
                "sms",
            ),
        ],
    ),
    (
        "plivo",
        "delivered.txt",
        [
            ("5b40a428-bfc7-4daf-9d06-726c558bf3b8", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "plivo",
        "delivered_multipart.txt",
        [
            ("7c1e0b3a-2f4d-4e5a-9b6c-8d7e6f5a4b31", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "plivo",
        "price_malformed.txt",
        [
            ("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "plivo",
        "undelivered_300.txt",
        [
            (
                "6c51b539-c0d8-4eb0-ae17-837d669cf4c9",
                "undelivered",
                "undelivered",
                "",
                "300",
                "sms",
            ),
        ],
    ),
    (
        "sinch",
        "batch_full.json",
        [
            ("01FC66621VHDBN119Z8Y0S8YFS", "delivered", "Delivered", "0", "", "sms"),
            ("01FC66621VHDBN119Z8Y0S8YFS", "expired", "Expired", "406", "406", "sms"),
        ],
    ),
    (
        "sinch",
        "recipient_delivered.json",
        [
            ("01FC66621VHDBN119Z8Y0S8YFQ", "delivered", "Delivered", "0", "", "sms"),
        ],
    ),
    (
        "sinch",
        "recipient_failed_402.json",
        [
            ("01FC66621VHDBN119Z8Y0S8YFR", "undelivered", "Failed", "402", "402", "sms"),
        ],
    ),
    (
        "smstake",
        "delivered.json",
        [
            ("msg_8f3k2j9x1m", "delivered", "delivered", "DELIVRD", "", "sms"),
        ],
    ),
    (
        "smstake",
        "expired.json",
        [
            ("msg_8f3k2j9x1m", "expired", "expired", "EXPIRED", "EXPIRED", "sms"),
        ],
    ),
    (
        "smstake",
        "failed.json",
        [
            ("msg_8f3k2j9x1m", "failed", "failed", "UNDELIV", "DND", "sms"),
        ],
    ),
    (
        "smstake",
        "queued.json",
        [
            ("msg_8f3k2j9x1m", "queued", "queued", "ACCEPTD", "", "sms"),
        ],
    ),
    (
        "smstake",
        "rcs_read.json",
        [
            ("msg_rcs4n1x8vz", "read", "read", "READ", "", "rcs"),
        ],
    ),
    (
        "smstake",
        "rejected_dlt_template.json",
        [
            ("msg_8f3k2j9x1m", "rejected", "rejected", "REJECTD", "DLT_TEMPLATE_MISMATCH", "sms"),
        ],
    ),
    (
        "smstake",
        "sent.json",
        [
            ("msg_8f3k2j9x1m", "sent", "sent", "ENROUTE", "", "sms"),
        ],
    ),
    (
        "smstake",
        "submitted.json",
        [
            ("msg_8f3k2j9x1m", "submitted", "submitted", "ACCEPTD", "", "sms"),
        ],
    ),
    (
        "smstake",
        "undelivered.json",
        [
            ("msg_8f3k2j9x1m", "undelivered", "undelivered", "UNDELIV", "001", "sms"),
        ],
    ),
    (
        "smstake",
        "unknown_status.json",
        [
            ("msg_8f3k2j9x1m", "unknown", "handset_confused", "UNKNOWN", "", "sms"),
        ],
    ),
    (
        "smstake",
        "voice_answered.json",
        [
            ("msg_vc3h8s2kq1", "answered", "answered", "ANSWERED", "", "voice"),
        ],
    ),
    (
        "smstake",
        "voice_busy.json",
        [
            ("msg_vc9z0p1mm4", "busy", "busy", "BUSY", "USER_BUSY", "voice"),
        ],
    ),
    (
        "smstake",
        "voice_no_answer.json",
        [
            ("msg_vc5t7u2aa8", "no_answer", "no-answer", "NOANSWER", "NO_ANSWER", "voice"),
        ],
    ),
    (
        "smstake",
        "whatsapp_read.json",
        [
            ("msg_wa77k2p0qd", "read", "read", "READ", "", "whatsapp"),
        ],
    ),
    (
        "standard_webhooks",
        "batch_with_bad_item.json",
        [
            ("sw-7003", "delivered", "delivered", "", "", ""),
            ("sw-7004", "expired", "expired", "", "", ""),
        ],
    ),
    (
        "standard_webhooks",
        "delivered.json",
        [
            ("sw-7001", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "standard_webhooks",
        "failed.json",
        [
            ("sw-7002", "failed", "failed", "", "E401", "sms"),
        ],
    ),
    (
        "telnyx",
        "delivered.json",
        [
            ("ac012cbf-5e09-46af-a69a-7c0e2f2b8f7d", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "telnyx",
        "delivered_unicode_cost_malformed.json",
        [
            ("b3f1c9e2-7a4d-4c1b-9e8f-2d6a5b4c3e21", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "telnyx",
        "delivery_failed_40008.json",
        [
            (
                "bd123cbf-5e09-46af-a69a-7c0e2f2b8f7e",
                "undelivered",
                "delivery_failed",
                "",
                "40008",
                "sms",
            ),
        ],
    ),
    (
        "twilio",
        "delivered.txt",
        [
            ("SM1f0e8ae6ade43cb3c0ce4525424e404f", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "twilio",
        "undelivered_30003.txt",
        [
            (
                "SM2e2cb8f4b2a7d1c3b5e9a0f1d2c3b4a5",
                "undelivered",
                "undelivered",
                "",
                "30003",
                "sms",
            ),
        ],
    ),
    (
        "twilio",
        "whatsapp_read.txt",
        [
            ("SM3a4b5c6d7e8f90112233445566778899", "read", "read", "", "", "whatsapp"),
        ],
    ),
    (
        "vonage",
        "delivered.txt",
        [
            ("0A0000001234567B", "delivered", "delivered", "0", "", "sms"),
        ],
    ),
    (
        "vonage",
        "failed_expired.json",
        [
            ("0A0000001234567C", "expired", "expired", "27", "27", "sms"),
        ],
    ),
    (
        "vonage_messages",
        "delivered.json",
        [
            ("aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "vonage_messages",
        "rejected_1020.json",
        [
            ("aaaaaaaa-bbbb-4ccc-8ddd-0123456789ac", "rejected", "rejected", "", "1020", "sms"),
        ],
    ),
    (
        "vonage_messages",
        "whatsapp_read.json",
        [
            ("aaaaaaaa-bbbb-4ccc-8ddd-0123456789ad", "read", "read", "", "", "whatsapp"),
        ],
    ),
    (
        "wavix",
        "delivered.json",
        [
            ("62845007-931a-4c3c-a581-6bdeffec75dc", "delivered", "delivered", "", "", "sms"),
        ],
    ),
    (
        "wavix",
        "expired.json",
        [
            ("62845007-931a-4c3c-a581-6bdeffec75dc", "expired", "expired", "", "", "sms"),
        ],
    ),
    (
        "wavix",
        "mms_delivered.json",
        [
            ("7b3e2f1a-0c55-4d0e-9a61-2f4f7d1e8a90", "delivered", "delivered", "", "", "mms"),
        ],
    ),
    (
        "wavix",
        "rejected.json",
        [
            ("62845007-931a-4c3c-a581-6bdeffec75dc", "rejected", "rejected", "", "30007", "sms"),
        ],
    ),
    (
        "wavix",
        "sent.json",
        [
            ("62845007-931a-4c3c-a581-6bdeffec75dc", "sent", "sent", "", "", "sms"),
        ],
    ),
    (
        "wavix",
        "undelivered.json",
        [
            ("62845007-931a-4c3c-a581-6bdeffec75dc", "undelivered", "undelivered", "", "", "sms"),
        ],
    ),
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
