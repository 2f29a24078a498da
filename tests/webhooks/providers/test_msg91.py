"""MSG91: version 2 (form) and version 3 (JSON) delivery-report webhooks."""

from datetime import UTC, datetime

from deliveries.error_codes import error_code_meaning
from deliveries.models import Message

from .signers import request


def test_a_version_2_report_lands_delivered_with_india_time(deliver):
    response = deliver("msg91", request("msg91", "v2_delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(provider="msg91", message_id="346XXXXXXXXXXXX130")
    assert (message.status, message.to_raw, message.tag) == (
        "delivered",
        "9195XXXX6558",
        "Sendhttp",
    )
    # 10:06:20 in India is 04:36:20 UTC.
    assert message.delivered_at == datetime(2024, 5, 22, 4, 36, 20, tzinfo=UTC)


def test_a_version_3_report_is_read_the_same_way(deliver):
    deliver("msg91", request("msg91", "v3_delivered.json"))

    assert Message.objects.get(provider="msg91").status == "delivered"


def test_an_ndnc_number_is_rejected_and_the_catalog_says_it_is_permanent(deliver):
    deliver("msg91", request("msg91", "v2_ndnc.txt"))

    message = Message.objects.get(provider="msg91")
    assert (message.status, message.error_code) == ("rejected", "9")
    meaning = error_code_meaning(provider="msg91", code=message.error_code)
    assert meaning is not None and (meaning.permanent, meaning.category) == (True, "dnd")
