"""Phone numbers: normalization to E.164 for storage and search, masking for display."""

import re

import phonenumbers
from django.conf import settings

_SEPARATORS = re.compile(r"[\s\-().]")


def phone_to_e164(raw: str, *, region: str | None = None) -> str:
    """E.164 form of a number written any common way, or "" if it is not a phone number.

    "+919876543210", "919876543210", "09876543210" and "98765 43210" all give
    "+919876543210" with the default region IN. Providers often send international numbers
    without the "+" ("1686…", "9198…"), so a long run of digits is first tried as
    international, then as national.
    """
    text = _SEPARATORS.sub("", raw or "")
    if not text or len(text) > 20:
        return ""
    region = region or settings.PHONE_DEFAULT_REGION
    candidates: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        candidates.append((text, None))
    elif text.startswith("00"):
        candidates.append(("+" + text[2:], None))
    else:
        if text.isdigit() and not text.startswith("0") and len(text) > 10:
            candidates.append(("+" + text, None))
        candidates.append((text, region))
    for number, number_region in candidates:
        try:
            parsed = phonenumbers.parse(number, number_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return ""


def phone_mask(e164: str) -> str:
    """ "+919876543210" → "+91 98••••3210": enough to recognise, not enough to dial."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
        country = f"+{parsed.country_code} "
        national = str(parsed.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", re.sub(r"\D", "", e164)
    if len(national) <= 6:
        return country + "•" * len(national)
    return f"{country}{national[:2]}{'•' * (len(national) - 6)}{national[-4:]}"
