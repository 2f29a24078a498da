"""Parse-table rows for the gateways: Gupshup, Exotel, Bandwidth, Africa's Talking, Kaleyra
and Clickatell (see test_parse_tables.py for what a row says)."""

Row = tuple[str, str, str, str, str, str]
ID1 = "3562707498794989059-328736121207676738"
ID2 = "3798318073013708082-252169030017029882"
ID3 = "4011523960264704337-131207658711470222"
ID4 = "ee4a68a0-1203-4c85-8dc3-49d0b3226a35"
ID5 = "59f8db90-c37e-4408-90ab-cc54ef8246ad"
ID6 = "72f61f22-5aa4-4615-a970-943edf6da01c"
ID7 = "wamid.HBgMOTE5OTg3OTkzMjc0FQIAERgSMTBEQjFDNkQzMUVBRjExRDI1AA=="
ID8 = "7daeb742-f2dc-4c09-90e0-d879d20f7b98"
ID9 = "0f477d60517e6e6a0f6d9a7e9af8630e"
ID10 = "1a588e71628f7f7b1f7e0b8f0ba9741f"
ID11 = "2b699f82739f8f8c2f8f1c9f1cba852a"
ID12 = "3c7a0a93840a9a9d3a9a2daa2dcb963b"
ID13 = "a2d1d0e4f9addd132ad073b6bc387433"
ID14 = "80bfbec2d78bbbf10fb851f4fa165211"
ID15 = "b3e2e1f50abeee243be184c7cd498544"
ID16 = "91c0cfd3e89ccc021fc962a5ab276322"
ID17 = "14762070468292kw2fuqty55yp2b2"
ID18 = "1585321273456iprz22vjeo4tvooc"
ID19 = "1585321273457jqsa33wkfp5uwppd"
ID20 = "1593110555875xo7watq5px6rbe5d"
ID21 = "ATXid_5e2a0c1f77b94a3d8c2b6f0d1e9a4b71"
ID22 = "ATXid_8f1d2c3b4a5e6f708192a3b4c5d6e7f8"
ID23 = "ATXid_1a2b3c4d5e6f708192a3b4c5d6e7f809"
ID24 = "ATXid_03cb5ecf11ce748794c0f9a85c276259"
ID25 = "ee8a5e2c-41d7-4c8e-9a4f-9b717ac5e30d:1"
ID26 = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9:1"
ID27 = "90eXXXXX-8865-4a96-85b6-4XXXXXXXXX48"
ID28 = "1c2d3e4f-5061-4728-93a4-b5c6d7e8f9a0:1"
ID29 = "c9e113f0-6fc2-4bd7-979c-ebdb2f600f38:0"
ID30 = "d0f224a1-7ad3-4ce8-a8ad-fcec3f711f49:0"
ID31 = "a7d54d2a3c8b2e1f9b0c4d6e8f1a2b3c"
ID32 = "b8e65e3b4d9c3f2a0c1d5e7f9a2b3c4d"
ID33 = "996411ad91fa211e7d17bc873aa4a41d"
ID34 = "f4d5cbea0c8270fe2c1bfa08416a5f44"
ID35 = "e3c4bad9b7016ffd1b0ae9f7305f4e33"
ID36 = "a5e6dcfb1d9381af3d2c0b1952706a55"
ID37 = "d2b3a9c8a6f05eec0af9d8e62f4e3d22"
ID38 = "c1a2f8b7f5e94ddb9ef8c7d51e3d2c11"

GATEWAY_TABLE: list[tuple[str, str, list[Row]]] = [
    (
        "gupshup",
        "sms_batch.json",
        [
            (ID1, "delivered", "DELIVERED", "SUCCESS", "", "sms"),
            (ID2, "undelivered", "FAILED", "UNKNOWN_SUBSCRIBER", "003", "sms"),
        ],
    ),
    ("gupshup", "sms_delivered.txt", [(ID1, "delivered", "SUCCESS", "SUCCESS", "", "sms")]),
    ("gupshup", "sms_dnd_fail_006.txt", [(ID3, "rejected", "FAILURE", "DND_FAIL", "006", "sms")]),
    ("gupshup", "whatsapp_delivered.json", [(ID4, "delivered", "delivered", "", "", "whatsapp")]),
    ("gupshup", "whatsapp_enqueued.json", [(ID5, "submitted", "enqueued", "", "", "whatsapp")]),
    ("gupshup", "whatsapp_failed_1008.json", [(ID4, "failed", "failed", "", "1008", "whatsapp")]),
    ("gupshup", "whatsapp_failed_470.json", [(ID6, "failed", "failed", "", "470", "whatsapp")]),
    ("gupshup", "whatsapp_mm_lite_sent.json", [(ID7, "sent", "sent", "", "", "whatsapp")]),
    ("gupshup", "whatsapp_read.json", [(ID4, "read", "read", "", "", "whatsapp")]),
    ("gupshup", "whatsapp_sent.json", [(ID4, "sent", "sent", "", "", "whatsapp")]),
    ("gupshup", "whatsapp_v3_sent.json", [(ID8, "sent", "sent", "", "", "whatsapp")]),
    ("exotel", "sms_delivered_to_handset.txt", [(ID9, "delivered", "sent", "20005", "", "sms")]),
    ("exotel", "sms_delivered_to_operator.txt", [(ID10, "sent", "sent", "20006", "", "sms")]),
    (
        "exotel",
        "sms_failed_dlt_template_23185.txt",
        [(ID11, "rejected", "failed", "23185", "23185", "sms")],
    ),
    (
        "exotel",
        "sms_failed_subscriber_unavailable_23035.txt",
        [(ID12, "undelivered", "failed", "23035", "23035", "sms")],
    ),
    ("exotel", "voice_busy.txt", [(ID13, "busy", "busy", "terminal", "", "voice")]),
    ("exotel", "voice_default_completed.json", [(ID14, "answered", "completed", "", "", "voice")]),
    ("exotel", "voice_no_answer.txt", [(ID15, "no_answer", "no-answer", "terminal", "", "voice")]),
    (
        "exotel",
        "voice_terminal_completed.json",
        [(ID16, "answered", "completed", "terminal", "", "voice")],
    ),
    (
        "bandwidth",
        "message_delivered.json",
        [(ID17, "delivered", "message-delivered", "ok", "", "sms")],
    ),
    (
        "bandwidth",
        "message_delivered_toll_free.json",
        [(ID18, "delivered", "message-delivered", "ok", "", "sms")],
    ),
    (
        "bandwidth",
        "message_failed_4432.json",
        [(ID17, "rejected", "message-failed", "forbidden to country", "4432", "mms")],
    ),
    (
        "bandwidth",
        "message_failed_9902.json",
        [(ID19, "unknown", "message-failed", "delivery-receipt-expired", "9902", "sms")],
    ),
    (
        "bandwidth",
        "message_sending.json",
        [(ID20, "submitted", "message-sending", "Message is sending to carrier", "", "mms")],
    ),
    (
        "bandwidth",
        "mms_delivered_to_carrier.json",
        [(ID17, "sent", "message-delivered", "Message delivered to carrier", "", "mms")],
    ),
    ("africastalking", "buffered.txt", [(ID21, "sent", "Buffered", "", "", "sms")]),
    (
        "africastalking",
        "failed_user_in_blacklist.txt",
        [(ID22, "undelivered", "Failed", "", "UserInBlackList", "sms")],
    ),
    (
        "africastalking",
        "rejected_insufficient_credit.txt",
        [(ID23, "rejected", "Rejected", "", "InsufficientCredit", "sms")],
    ),
    ("africastalking", "success.txt", [(ID24, "delivered", "Success", "", "", "sms")]),
    ("kaleyra", "sms_delivered.json", [(ID25, "delivered", "DELIVERED", "DELIVERED", "", "sms")]),
    (
        "kaleyra",
        "sms_not_sent_dnd.json",
        [(ID26, "rejected", "NOT-SENT", "DND-NUMB", "DND-NUMB", "sms")],
    ),
    ("kaleyra", "sms_sent.json", [(ID27, "sent", "SENT", "SENT", "", "sms")]),
    (
        "kaleyra",
        "sms_undelivered_absent_sub.json",
        [(ID28, "undelivered", "UNDELIVERED", "ABSENT-SUB", "ABSENT-SUB", "sms")],
    ),
    ("kaleyra", "whatsapp_delivered.json", [(ID29, "delivered", "delivered", "", "", "whatsapp")]),
    (
        "kaleyra",
        "whatsapp_failed_131047.txt",
        [(ID30, "failed", "failed", "", "131047", "whatsapp")],
    ),
    ("kaleyra", "whatsapp_read.json", [(ID29, "read", "read", "", "", "whatsapp")]),
    (
        "clickatell",
        "legacy_error_delivering_007.txt",
        [(ID31, "undelivered", "007", "007", "007", "sms")],
    ),
    (
        "clickatell",
        "legacy_error_with_message_005.txt",
        [(ID32, "failed", "005", "005", "005", "sms")],
    ),
    (
        "clickatell",
        "legacy_received_by_recipient_004.txt",
        [(ID33, "delivered", "004", "004", "", "sms")],
    ),
    ("clickatell", "one_api_device_ack.json", [(ID34, "delivered", "DEVICE_ACK", "5", "", "sms")]),
    (
        "clickatell",
        "one_api_sent_to_supplier.json",
        [(ID35, "sent", "SENT_TO_SUPPLIER", "4", "", "sms")],
    ),
    (
        "clickatell",
        "one_api_whatsapp_delivery_failure.json",
        [(ID36, "undelivered", "DELIVERY_FAILURE", "23", "DELIVERY_FAILURE", "whatsapp")],
    ),
    (
        "clickatell",
        "platform_delivered_to_gateway.json",
        [(ID37, "sent", "DELIVERED_TO_GATEWAY", "3", "", "sms")],
    ),
    (
        "clickatell",
        "platform_received_by_recipient.json",
        [(ID38, "delivered", "RECEIVED_BY_RECIPIENT", "4", "", "sms")],
    ),
]
