"""Parse-table rows for Infobip, Jasmin, Kannel, MessageBird, Plivo and Sinch (see
test_parse_tables.py): (provider, fixture, [(message id, status, provider status, provider
code, error code, channel), …])."""

Row = tuple[str, str, str, str, str, str]

SMS_GATEWAY_TABLE: list[tuple[str, str, list[Row]]] = [
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
]
