"""Amounts of money: `Decimal` with six places, never a float; sums as integer millionths."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

PLACES = Decimal("0.000001")
MICROS = 1_000_000
# Larger than any one message's price: a value past it is a broken field, not a price.
_LIMIT = Decimal("1000000")


def amount_parse(value: object) -> Decimal | None:
    """A price as a provider writes it ("0.00650", "-0.0079", 0.01) or None if it is not a
    finite number below a million. Twilio writes what it charged as a negative number; the
    callers decide the sign."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        # repr of a float from JSON ("0.01") is exact enough: Decimal(str(x)), never Decimal(x).
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= _LIMIT:
        return None
    return amount.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def currency_parse(value: object) -> str:
    """An ISO 4217 code in capitals, or "" when `value` is not three letters."""
    text = str(value or "").strip().upper()
    return text if len(text) == 3 and text.isascii() and text.isalpha() else ""


def to_micros(amount: Decimal) -> int:
    return int((amount * MICROS).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS).quantize(PLACES)
