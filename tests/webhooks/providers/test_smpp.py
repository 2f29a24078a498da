"""The SMPP receipt parser: field order, date widths, missing fields, id readings."""

from datetime import UTC, datetime

import pytest

from deliveries.status import Status
from webhooks.providers.smpp import id_variants, receipt_date, receipt_parse


def test_it_reads_the_receipt_of_the_smpp_appendix():
    receipt = receipt_parse(
        "id:1387603271 sub:001 dlvrd:001 submit date:2311221015 done date:2311221016 "
        "stat:DELIVRD err:000 text:Your code is 4821"
    )

    assert receipt is not None
    assert (receipt.id, receipt.sub, receipt.dlvrd, receipt.stat) == (
        "1387603271",
        "001",
        "001",
        "DELIVRD",
    )
    assert receipt.done_date == datetime(2023, 11, 22, 10, 16, tzinfo=UTC)
    assert (receipt.status, receipt.error_code, receipt.text) == (
        Status.DELIVERED,
        "",
        "Your code is 4821",
    )


def test_it_reads_fields_in_any_order_and_case():
    receipt = receipt_parse("Stat:UNDELIV ERR:069 text:hi id:ABC123 Done_Date:231122111501")

    assert receipt is not None
    assert (receipt.id, receipt.stat, receipt.error_code, receipt.text) == (
        "ABC123",
        "UNDELIV",
        "069",
        "hi",
    )
    assert receipt.done_date == datetime(2023, 11, 22, 11, 15, 1, tzinfo=UTC)


def test_missing_fields_are_empty_not_errors():
    receipt = receipt_parse("id:42 stat:EXPIRED")

    assert receipt is not None
    assert (receipt.status, receipt.submit_date, receipt.err, receipt.text) == (
        Status.EXPIRED,
        None,
        "",
        "",
    )


def test_text_that_is_not_a_receipt_gives_none():
    assert receipt_parse("ACK/") is None
    assert receipt_parse("") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2311221015", datetime(2023, 11, 22, 10, 15, tzinfo=UTC)),
        ("231122101530", datetime(2023, 11, 22, 10, 15, 30, tzinfo=UTC)),
        ("2313221015", None),
        ("23112210", None),
        ("", None),
    ],
)
def test_dates_have_ten_or_twelve_digits(value, expected):
    assert receipt_date(value) == expected


def test_an_id_is_offered_in_decimal_and_hex():
    assert id_variants("1387603271") == ["1387603271", "52b52547"]
    assert id_variants("52B52547") == ["52B52547", "1387603271"]
    assert id_variants("msg-1") == ["msg-1"]


def test_an_unknown_stat_maps_to_unknown():
    receipt = receipt_parse("id:1 stat:WEIRD")

    assert receipt is not None
    assert receipt.status == Status.UNKNOWN
