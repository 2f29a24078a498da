"""Bad bill files: a clear error naming the line, or rows skipped with a reason; never a
partial import that looks complete, never a 500."""

import io

import pytest

from billing import imports
from billing.imports import FileRejected, bill_import
from billing.models import BilledMessage, BillImport, ColumnMapping
from billing.rate_import import rates_import
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PLIVO_HEADER = "message_uuid,message_time,message_direction,message_state,units,total_amount\n"


def row(n: int, amount: str = "0.0032", when: str = "2026-11-03 10:00:00+00:00") -> str:
    return f"m-{n},{when},outbound,delivered,1,{amount}\n"


def plivo(text: str) -> BillImport:
    record, _ = bill_import(
        provider="plivo", file_format="plivo", stream=io.BytesIO(text.encode("utf-8"))
    )
    return record


def test_a_bom_and_the_consoles_header_spelling_are_read():
    record = plivo(
        "\ufeffMessage UUID,Message Time,Message Direction,Units,Total Amount\n"
        "m-1,2026-11-03 10:00:00+00:00,outbound,1,0.0032\n"
    )

    assert (record.state, record.rows_imported) == ("complete", 1)
    assert BilledMessage.objects.get().message_id == "m-1"


def test_a_wrong_delimiter_is_named_on_line_1_and_nothing_is_imported():
    record = plivo(PLIVO_HEADER.replace(",", ";") + row(1).replace(",", ";"))

    assert record.state == "failed"
    assert record.error.startswith("line 1:") and "';'" in record.error
    assert not BilledMessage.objects.exists()


def test_missing_columns_are_named():
    record = plivo("uuid,when,amount\nm-1,2026-11-03,0.1\n")

    assert record.state == "failed"
    assert "line 1: missing columns message id (messageuuid)" in record.error
    assert "found uuid, when, amount" in record.error


def test_unknown_columns_are_ignored_and_listed():
    record = plivo(PLIVO_HEADER.strip() + ",carrier_fees\n" + row(1).strip() + ",0.001\n")

    assert (record.state, record.rows_imported) == ("complete", 1)
    assert record.skipped["ignored_columns"] == ["carrier_fees"]


def test_bad_rows_are_skipped_with_their_line_and_reason():
    record = plivo(
        PLIVO_HEADER
        + row(1)
        + row(2, amount="abc")
        + row(3, when="yesterday")
        + row(1)  # the same message again
        + row(4, amount="-0.01")
        + ",2026-11-03 10:00:00+00:00,outbound,delivered,1,0.1\n"
        + row(5)
    )

    assert (record.state, record.rows_read, record.rows_imported, record.rows_skipped) == (
        "complete",
        7,
        2,
        5,
    )
    assert sorted(tuple(e) for e in record.skipped["examples"]) == [
        (3, "amount 'abc' is not a number"),
        (4, "time 'yesterday' is not a date"),
        (5, "duplicate message id"),
        (6, "amount '-0.01' is negative"),
        (7, "no message id"),
    ]


def test_rows_in_another_currency_are_skipped():
    text = (
        "Sid,SentDate,Direction,Status,NumSegments,Price,PriceUnit\n"
        "SM1,2026-11-03T10:00:00+00:00,outbound-api,delivered,1,-0.0079,USD\n"
        "SM2,2026-11-03T10:00:00+00:00,outbound-api,delivered,2,-0.0158,EUR\n"
        "SM3,2026-11-03T10:00:00+00:00,inbound,received,1,-0.0079,USD\n"
    )
    record, _ = bill_import(
        provider="twilio", file_format="twilio", stream=io.BytesIO(text.encode())
    )

    assert (record.state, record.currency, record.rows_imported) == ("complete", "USD", 1)
    assert record.skipped["reasons"] == {
        "currency EUR, the bill is in USD": 1,
        "inbound message": 1,
    }
    # Twilio writes charges as negative numbers; the bill keeps them positive.
    assert str(BilledMessage.objects.get().amount) == "0.007900"


def test_a_file_broken_midway_fails_and_keeps_none_of_its_rows(monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)  # earlier batches are committed by then
    body = PLIVO_HEADER + "".join(row(n) for n in range(5))
    record = plivo_bytes(body.encode() + b"m-9,2026-11-03,outbound,delivered,1,\xff\xfe\n")

    assert record.state == "failed"
    assert record.error.startswith("line 7: not UTF-8")
    assert not BilledMessage.objects.exists()
    # The same file may be tried again once fixed; a failed import does not block it.
    assert plivo((body).replace("m-", "n-")).state == "complete"


def plivo_bytes(data: bytes) -> BillImport:
    record, _ = bill_import(provider="plivo", file_format="plivo", stream=io.BytesIO(data))
    return record


def test_the_generic_import_reads_the_providers_column_mapping():
    ColumnMapping.objects.create(
        provider="wavix",
        delimiter=";",
        message_id_column="ID",
        time_column="Date",
        amount_column="Charge",
        currency_column="Cur",
    )
    text = "ID;Date;Charge;Cur\nw-1;2026-11-03 10:00;0,5;USD\nw-2;2026-11-03 10:00;0.5;USD\n"
    record, _ = bill_import(
        provider="wavix", file_format="generic", stream=io.BytesIO(text.encode())
    )

    assert record.rows_imported == 1
    assert record.skipped["examples"] == [[2, "amount '0,5' is not a number"]]
    assert record.skipped["reasons"] == {"amount '…' is not a number": 1}


def test_the_generic_import_without_a_mapping_says_what_to_do():
    with pytest.raises(ValueError, match="no column mapping for 'wavix'"):
        bill_import(provider="wavix", file_format="generic", stream=io.BytesIO(b"a\n"))


def test_a_rate_card_with_bad_lines_is_refused_whole():
    text = (
        "provider,country,price,currency,valid_from\n"
        "plivo,IN,0.0032,USD,2026-11-01\n"
        "plivo,India,abc,dollars,soon\n"
    )
    with pytest.raises(FileRejected) as error:
        rates_import(card_name="Plivo", stream=io.BytesIO(text.encode()))

    assert str(error.value).startswith("line 3: price 'abc' is not a number, currency 'dollars'")
    assert "valid_from 'soon' is not a date" in str(error.value)


def test_the_admin_upload_shows_the_error_of_a_bad_file(client):
    client.force_login(make_user("Administrator"))
    upload = io.BytesIO(b"a;b;c\n1;2;3\n")
    upload.name = "bill.csv"

    response = client.post(
        "/admin/billing/billimport/add/",
        {"provider": "plivo", "file_format": "plivo", "file": upload},
        follow=True,
    )

    assert response.status_code == 200
    assert "line 1: one column only" in response.content.decode()
