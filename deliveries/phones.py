"""Phone numbers: normalization to E.164 for storage and search, masking for display."""

import functools
import re

import phonenumbers
from django.conf import settings
from phonenumbers.phonemetadata import PhoneMetadata

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
    country, national = _split_plain(e164) or _split_parsed(e164)
    if len(national) <= 6:
        return country + "•" * len(national)
    return f"{country}{national[:2]}{'•' * (len(national) - 6)}{national[-4:]}"


def _split_parsed(e164: str) -> tuple[str, str]:
    """("+91 ", "9876543210") as phonenumbers parses it; a number it refuses is all national."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "", re.sub(r"\D", "", e164)
    return f"+{parsed.country_code} ", str(parsed.national_number)


def _split_plain(e164: str) -> tuple[str, str] | None:
    """What `_split_parsed` gives, for the plain "+digits" numbers the database holds, without
    parsing (exports mask every row: parsing was most of their time); None where parsing could
    differ — a national prefix to strip, an unknown country code, a length it refuses.

    As phonenumbers does: the country code is the first 1-3 digits that are one, and the
    national number loses its leading zeros.
    """
    digits = e164[1:]
    if not (e164[:1] == "+" and digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            prefix = _national_prefix(code)
            if not 2 <= len(national) <= 17 or (prefix and prefix.match(national)):
                return None
            return f"+{code} ", str(int(national))
    return None


@functools.cache
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """The national prefix phonenumbers strips after this country code, if any."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    pattern = metadata.national_prefix_for_parsing if metadata else None
    return re.compile(pattern) if pattern else None
