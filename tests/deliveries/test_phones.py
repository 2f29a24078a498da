"""Masking: every surface shows "+91 98••••3210"; exports mask each row without parsing it,
and that shortcut gives exactly what phonenumbers' parse gives."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveries.phones import _split_parsed, _split_plain, phone_mask, phone_to_e164

from ..helpers import examples

COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@pytest.mark.parametrize(
    "number, masked",
    [
        ("+919876543210", "+91 98••••3210"),
        ("+14155552671", "+1 41••••2671"),
        ("+971501234567", "+971 50•••4567"),
        ("+390612345678", "+39 61•••5678"),  # Rome: the leading zero is not a digit shown
        ("+4407911123456", "+44 79••••3456"),  # a national prefix after the country code
        ("+99912345", "99••2345"),  # no such country code: all of it masked alike
        ("+12", "••"),
        ("", ""),
    ],
)
def test_a_number_is_masked_to_its_country_two_digits_and_the_last_four(number, masked):
    assert phone_mask(number) == masked


@settings(max_examples=examples(1000), deadline=None)
@given(
    code=st.sampled_from(COUNTRY_CODES),
    national=st.text(alphabet="0123456789", max_size=19),
)
def test_the_shortcut_gives_what_parsing_gives_or_leaves_the_number_to_it(code, national):
    number = f"+{code}{national}"

    plain = _split_plain(number)

    assert plain is None or plain == _split_parsed(number)


@given(st.text(max_size=24))
@settings(max_examples=examples(300), deadline=None)
def test_any_text_is_masked_as_parsing_would_mask_it(text):
    plain = _split_plain(text)

    assert plain is None or plain == _split_parsed(text)


STORED = ["98765 43210", "+1 415 555 2671", "+44 7911 123456", "+55 11 91234 5678", "+61412345678"]


@pytest.mark.parametrize("raw", STORED)
def test_stored_numbers_take_the_shortcut(raw):
    """What the database holds is E.164 of a valid number: exports never parse it."""
    assert _split_plain(phone_to_e164(raw)) is not None
