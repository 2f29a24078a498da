"""The error-code catalog: data, looked up by provider first, unknown codes are None."""

import pytest

from deliveries.error_codes import error_code_categories, error_code_meaning
from webhooks.simulation import CHAT_FINALS, SMS_FINALS, VOICE_FINALS


def test_every_code_the_simulator_emits_has_a_meaning():
    codes = {row[2] for row in (*SMS_FINALS, *CHAT_FINALS, *VOICE_FINALS) if row[2]}
    stats = {row[1] for row in SMS_FINALS if row[1]}

    missing = [c for c in codes | stats if error_code_meaning(provider="smstake", code=c) is None]

    assert missing == []


@pytest.mark.parametrize(
    ("code", "category", "permanent"),
    [
        ("DLT_TEMPLATE_MISMATCH", "template", True),
        ("DLT_HEADER_INACTIVE", "header", True),
        ("DLT_CONSENT_NOT_FOUND", "consent", True),
        ("DLT_ENTITY_NOT_FOUND", "entity", True),
        ("DND", "dnd", True),
        ("001", "absent_subscriber", False),
        ("131047", "window_closed", False),
        ("USER_BUSY", "busy", False),
    ],
)
def test_dlt_and_operator_codes_carry_a_category_and_permanence(code, category, permanent):
    meaning = error_code_meaning(provider="smstake", code=code)

    assert meaning is not None
    assert (meaning.category, meaning.permanent) == (category, permanent)


def test_codes_are_matched_loosely_as_operators_write_them():
    short, padded = (error_code_meaning(provider="wavix", code=c) for c in ("1", "001"))
    assert short and padded and short.meaning == padded.meaning
    assert error_code_meaning(provider="smstake", code=" undeliv ") is not None


def test_a_provider_entry_overrides_the_shared_one():
    shared = error_code_meaning(provider="other", code="EXPIRED")
    wavix = error_code_meaning(provider="wavix", code="EXPIRED")

    assert shared and wavix and shared.meaning != wavix.meaning


def test_unknown_and_empty_codes_have_no_meaning():
    assert error_code_meaning(provider="smstake", code="ZZ_NEVER_SEEN") is None
    assert error_code_meaning(provider="smstake", code="") is None


def test_the_dlt_drill_down_categories_exist():
    assert {"entity", "header", "template", "consent", "dnd"} <= set(error_code_categories())
