"""Every fixture through its provider's parse(), without a database: what reports it gives.

The fixture files are the providers' documented payloads (tests/fixtures/<provider>/); each
row lists the reports as (message id, status, provider status, provider code, error code,
channel). The end-to-end tests beside this one show the same reports landing in messages.
"""

from urllib.parse import parse_qs

import pytest

from webhooks.providers import PROVIDERS, InboundRequest

from ...helpers import fixture_names
from .signers import SAMPLES, Req, request

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
    (
        "gupshup",
        "sms_batch.json",
        [
            (
                "3562707498794989059-328736121207676738",
                "delivered",
                "DELIVERED",
                "SUCCESS",
                "",
                "sms",
            ),
            (
                "3798318073013708082-252169030017029882",
                "undelivered",
                "FAILED",
                "UNKNOWN_SUBSCRIBER",
                "003",
                "sms",
            ),
        ],
    ),
    (
        "gupshup",
        "sms_delivered.txt",
        [
            (
                "3562707498794989059-328736121207676738",
                "delivered",
                "SUCCESS",
                "SUCCESS",
                "",
                "sms",
            ),
        ],
    ),
    (
        "gupshup",
        "sms_dnd_fail_006.txt",
        [
            (
                "4011523960264704337-131207658711470222",
                "rejected",
                "FAILURE",
                "DND_FAIL",
                "006",
                "sms",
            ),
        ],
    ),
    (
        "gupshup",
        "whatsapp_delivered.json",
        [
            ("ee4a68a0-1203-4c85-8dc3-49d0b3226a35", "delivered", "delivered", "", "", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_enqueued.json",
        [
            ("59f8db90-c37e-4408-90ab-cc54ef8246ad", "submitted", "enqueued", "", "", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_failed_1008.json",
        [
            ("ee4a68a0-1203-4c85-8dc3-49d0b3226a35", "failed", "failed", "", "1008", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_failed_470.json",
        [
            ("72f61f22-5aa4-4615-a970-943edf6da01c", "failed", "failed", "", "470", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_mm_lite_sent.json",
        [
            (
                "wamid.HBgMOTE5OTg3OTkzMjc0FQIAERgSMTBEQjFDNkQzMUVBRjExRDI1AA==",
                "sent",
                "sent",
                "",
                "",
                "whatsapp",
            ),
        ],
    ),
    (
        "gupshup",
        "whatsapp_read.json",
        [
            ("ee4a68a0-1203-4c85-8dc3-49d0b3226a35", "read", "read", "", "", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_sent.json",
        [
            ("ee4a68a0-1203-4c85-8dc3-49d0b3226a35", "sent", "sent", "", "", "whatsapp"),
        ],
    ),
    (
        "gupshup",
        "whatsapp_v3_sent.json",
        [
            ("7daeb742-f2dc-4c09-90e0-d879d20f7b98", "sent", "sent", "", "", "whatsapp"),
        ],
    ),
    (
        "exotel",
        "sms_delivered_to_handset.txt",
        [
            ("0f477d60517e6e6a0f6d9a7e9af8630e", "delivered", "sent", "20005", "", "sms"),
        ],
    ),
    (
        "exotel",
        "sms_delivered_to_operator.txt",
        [
            ("1a588e71628f7f7b1f7e0b8f0ba9741f", "sent", "sent", "20006", "", "sms"),
        ],
    ),
    (
        "exotel",
        "sms_failed_dlt_template_23185.txt",
        [
            ("2b699f82739f8f8c2f8f1c9f1cba852a", "rejected", "failed", "23185", "23185", "sms"),
        ],
    ),
    (
        "exotel",
        "sms_failed_subscriber_unavailable_23035.txt",
        [
            ("3c7a0a93840a9a9d3a9a2daa2dcb963b", "undelivered", "failed", "23035", "23035", "sms"),
        ],
    ),
    (
        "exotel",
        "voice_busy.txt",
        [
            ("a2d1d0e4f9addd132ad073b6bc387433", "busy", "busy", "terminal", "", "voice"),
        ],
    ),
    (
        "exotel",
        "voice_default_completed.json",
        [
            ("80bfbec2d78bbbf10fb851f4fa165211", "answered", "completed", "", "", "voice"),
        ],
    ),
    (
        "exotel",
        "voice_no_answer.txt",
        [
            ("b3e2e1f50abeee243be184c7cd498544", "no_answer", "no-answer", "terminal", "", "voice"),
        ],
    ),
    (
        "exotel",
        "voice_terminal_completed.json",
        [
            ("91c0cfd3e89ccc021fc962a5ab276322", "answered", "completed", "terminal", "", "voice"),
        ],
    ),
    (
        "bandwidth",
        "message_delivered.json",
        [
            ("14762070468292kw2fuqty55yp2b2", "delivered", "message-delivered", "ok", "", "sms"),
        ],
    ),
    (
        "bandwidth",
        "message_delivered_toll_free.json",
        [
            ("1585321273456iprz22vjeo4tvooc", "delivered", "message-delivered", "ok", "", "sms"),
        ],
    ),
    (
        "bandwidth",
        "message_failed_4432.json",
        [
            (
                "14762070468292kw2fuqty55yp2b2",
                "rejected",
                "message-failed",
                "forbidden to country",
                "4432",
                "mms",
            ),
        ],
    ),
    (
        "bandwidth",
        "message_failed_9902.json",
        [
            (
                "1585321273457jqsa33wkfp5uwppd",
                "unknown",
                "message-failed",
                "delivery-receipt-expired",
                "9902",
                "sms",
            ),
        ],
    ),
    (
        "bandwidth",
        "message_sending.json",
        [
            (
                "1593110555875xo7watq5px6rbe5d",
                "submitted",
                "message-sending",
                "Message is sending to carrier",
                "",
                "mms",
            ),
        ],
    ),
    (
        "bandwidth",
        "mms_delivered_to_carrier.json",
        [
            (
                "14762070468292kw2fuqty55yp2b2",
                "sent",
                "message-delivered",
                "Message delivered to carrier",
                "",
                "mms",
            ),
        ],
    ),
    (
        "africastalking",
        "buffered.txt",
        [
            ("ATXid_5e2a0c1f77b94a3d8c2b6f0d1e9a4b71", "sent", "Buffered", "", "", "sms"),
        ],
    ),
    (
        "africastalking",
        "failed_user_in_blacklist.txt",
        [
            (
                "ATXid_8f1d2c3b4a5e6f708192a3b4c5d6e7f8",
                "undelivered",
                "Failed",
                "",
                "UserInBlackList",
                "sms",
            ),
        ],
    ),
    (
        "africastalking",
        "rejected_insufficient_credit.txt",
        [
            (
                "ATXid_1a2b3c4d5e6f708192a3b4c5d6e7f809",
                "rejected",
                "Rejected",
                "",
                "InsufficientCredit",
                "sms",
            ),
        ],
    ),
    (
        "africastalking",
        "success.txt",
        [
            ("ATXid_03cb5ecf11ce748794c0f9a85c276259", "delivered", "Success", "", "", "sms"),
        ],
    ),
    (
        "kaleyra",
        "sms_delivered.json",
        [
            (
                "ee8a5e2c-41d7-4c8e-9a4f-9b717ac5e30d:1",
                "delivered",
                "DELIVERED",
                "DELIVERED",
                "",
                "sms",
            ),
        ],
    ),
    (
        "kaleyra",
        "sms_not_sent_dnd.json",
        [
            (
                "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9:1",
                "rejected",
                "NOT-SENT",
                "DND-NUMB",
                "DND-NUMB",
                "sms",
            ),
        ],
    ),
    (
        "kaleyra",
        "sms_sent.json",
        [
            ("90eXXXXX-8865-4a96-85b6-4XXXXXXXXX48", "sent", "SENT", "SENT", "", "sms"),
        ],
    ),
    (
        "kaleyra",
        "sms_undelivered_absent_sub.json",
        [
            (
                "1c2d3e4f-5061-4728-93a4-b5c6d7e8f9a0:1",
                "undelivered",
                "UNDELIVERED",
                "ABSENT-SUB",
                "ABSENT-SUB",
                "sms",
            ),
        ],
    ),
    (
        "kaleyra",
        "whatsapp_delivered.json",
        [
            (
                "c9e113f0-6fc2-4bd7-979c-ebdb2f600f38:0",
                "delivered",
                "delivered",
                "",
                "",
                "whatsapp",
            ),
        ],
    ),
    (
        "kaleyra",
        "whatsapp_failed_131047.txt",
        [
            (
                "d0f224a1-7ad3-4ce8-a8ad-fcec3f711f49:0",
                "failed",
                "failed",
                "",
                "131047",
                "whatsapp",
            ),
        ],
    ),
    (
        "kaleyra",
        "whatsapp_read.json",
        [
            ("c9e113f0-6fc2-4bd7-979c-ebdb2f600f38:0", "read", "read", "", "", "whatsapp"),
        ],
    ),
    (
        "clickatell",
        "legacy_error_delivering_007.txt",
        [
            ("a7d54d2a3c8b2e1f9b0c4d6e8f1a2b3c", "undelivered", "007", "007", "007", "sms"),
        ],
    ),
    (
        "clickatell",
        "legacy_error_with_message_005.txt",
        [
            ("b8e65e3b4d9c3f2a0c1d5e7f9a2b3c4d", "failed", "005", "005", "005", "sms"),
        ],
    ),
    (
        "clickatell",
        "legacy_received_by_recipient_004.txt",
        [
            ("996411ad91fa211e7d17bc873aa4a41d", "delivered", "004", "004", "", "sms"),
        ],
    ),
    (
        "clickatell",
        "one_api_device_ack.json",
        [
            ("f4d5cbea0c8270fe2c1bfa08416a5f44", "delivered", "DEVICE_ACK", "5", "", "sms"),
        ],
    ),
    (
        "clickatell",
        "one_api_sent_to_supplier.json",
        [
            ("e3c4bad9b7016ffd1b0ae9f7305f4e33", "sent", "SENT_TO_SUPPLIER", "4", "", "sms"),
        ],
    ),
    (
        "clickatell",
        "one_api_whatsapp_delivery_failure.json",
        [
            (
                "a5e6dcfb1d9381af3d2c0b1952706a55",
                "undelivered",
                "DELIVERY_FAILURE",
                "23",
                "DELIVERY_FAILURE",
                "whatsapp",
            ),
        ],
    ),
    (
        "clickatell",
        "platform_delivered_to_gateway.json",
        [
            ("d2b3a9c8a6f05eec0af9d8e62f4e3d22", "sent", "DELIVERED_TO_GATEWAY", "3", "", "sms"),
        ],
    ),
    (
        "clickatell",
        "platform_received_by_recipient.json",
        [
            (
                "c1a2f8b7f5e94ddb9ef8c7d51e3d2c11",
                "delivered",
                "RECEIVED_BY_RECIPIENT",
                "4",
                "",
                "sms",
            ),
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
    adapter = PROVIDERS[provider]()

    reports = adapter.parse(fixture_request(provider, fixture))

    assert [
        (r.message_id, r.status, r.provider_status, r.provider_code, r.error_code, r.channel)
        for r in reports
    ] == expected
    assert all(r.provider == provider for r in reports)
    assert len(adapter.item_errors) == ITEM_ERRORS.get((provider, fixture), 0)


def test_the_table_covers_every_fixture_of_every_provider():
    on_disk = {(provider, name) for provider in PROVIDERS for name in fixture_names(provider)}

    assert on_disk == {(provider, fixture) for provider, fixture, _ in TABLE}
