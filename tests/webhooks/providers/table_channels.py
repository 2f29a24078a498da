"""Parse-table rows for the WhatsApp, RCS, voice and Indian/Azure adapters (see
test_parse_tables.py): (provider, fixture, [(message id, status, provider status,
provider code, error code, channel), …])."""

Row = tuple[str, str, str, str, str, str]
ACS_DELIVERED = "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910"
ACS_FAILED = "Outgoing_20200918002745a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
CALL = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
MSG91_ID = "346XXXXXXXXXXXX130"
RBM_ID = "MxP3tNqK5vSy6GGTd4mCfqXQ"
WAMID = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"

CHANNEL_TABLE: list[tuple[str, str, list[Row]]] = [
    ("whatsapp", "sent.json", [(WAMID, "sent", "sent", "", "", "whatsapp")]),
    ("whatsapp", "delivered.json", [(WAMID, "delivered", "delivered", "", "", "whatsapp")]),
    ("whatsapp", "read.json", [(WAMID, "read", "read", "", "", "whatsapp")]),
    (
        "whatsapp",
        "failed_131047.json",
        [
            (
                "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBIzRjU0QjE4QjdBQ0Y5MDJBMkYA",
                "failed",
                "failed",
                "",
                "131047",
                "whatsapp",
            )
        ],
    ),
    ("whatsapp", "user_message.json", []),
    ("rbm", "delivered.json", [(RBM_ID, "delivered", "DELIVERED", "", "", "rcs")]),
    ("rbm", "read.json", [(RBM_ID, "read", "READ", "", "", "rcs")]),
    ("rbm", "is_typing.json", []),
    ("rbm", "user_message.json", []),
    (
        "rbm",
        "expired_revoked.json",
        [("MxS9kLwq2TRa3xMgAY1nDgbg", "expired", "TTL_EXPIRATION_REVOKED", "", "", "rcs")],
    ),
    ("rbm", "verification.json", []),
    (
        "azure_acs",
        "delivered.json",
        [(ACS_DELIVERED, "delivered", "Delivered", "", "", "sms")],
    ),
    ("azure_acs", "failed.json", [(ACS_FAILED, "failed", "Failed", "", "", "sms")]),
    ("azure_acs", "sms_received.json", []),
    ("azure_acs", "subscription_validation.json", []),
    ("msg91", "v2_delivered.txt", [(MSG91_ID, "delivered", "DELIVERED", "1", "", "sms")]),
    ("msg91", "v3_delivered.json", [(MSG91_ID, "delivered", "DELIVERED", "1", "", "sms")]),
    (
        "msg91",
        "v2_ndnc.txt",
        [("3465706a4b52373031383232", "rejected", "NDNC", "9", "9", "sms")],
    ),
    ("vonage_voice", "started.json", [(CALL, "submitted", "started", "", "", "voice")]),
    ("vonage_voice", "answered.json", [(CALL, "answered", "answered", "", "", "voice")]),
    ("vonage_voice", "completed.json", [(CALL, "answered", "completed", "", "", "voice")]),
    (
        "vonage_voice",
        "busy.json",
        [("bbbbbbbb-cccc-dddd-eeee-0123456789ab", "busy", "busy", "", "busy", "voice")],
    ),
    (
        "vonage_voice",
        "unanswered_timeout.json",
        [
            (
                "cccccccc-dddd-eeee-ffff-0123456789ab",
                "no_answer",
                "timeout",
                "",
                "ring_timeout",
                "voice",
            )
        ],
    ),
    (
        "vonage_voice",
        "rejected_restricted.json",
        [
            (
                "dddddddd-eeee-ffff-aaaa-0123456789ab",
                "rejected",
                "rejected",
                "",
                "restricted",
                "voice",
            )
        ],
    ),
    ("vonage_voice", "recording.json", []),
    (
        "twilio",
        "voice_completed.txt",
        [("CA5f2b9c7e1d0a4b3c8e6f1a2b3c4d5e6f", "answered", "completed", "200", "", "voice")],
    ),
    (
        "twilio",
        "voice_busy.txt",
        [("CA6a3c0d8f2e1b5c4d9f7a2b3c4d5e6f70", "busy", "busy", "486", "", "voice")],
    ),
    (
        "twilio",
        "voice_no_answer.txt",
        [("CA7b4d1e9a3f2c6d5e0a8b3c4d5e6f7081", "no_answer", "no-answer", "487", "", "voice")],
    ),
    (
        "plivo",
        "voice_completed.txt",
        [("55dc8f0a-b5c6-4d3e-9a1b-2c3d4e5f6a7b", "answered", "completed", "", "", "voice")],
    ),
    (
        "plivo",
        "voice_failed_2010.txt",
        [("66ed9a1b-c6d7-4e4f-8b2c-3d4e5f6a7b8c", "failed", "failed", "", "2010", "voice")],
    ),
]
