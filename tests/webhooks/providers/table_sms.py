"""Parse-table rows for SMSTAKE, Standard Webhooks, Telnyx, Twilio, Vonage and Wavix (see
test_parse_tables.py): (provider, fixture, [(message id, status, provider status, provider
code, error code, channel), …])."""

Row = tuple[str, str, str, str, str, str]

SMS_TABLE: list[tuple[str, str, list[Row]]] = [
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
]
