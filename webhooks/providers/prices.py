"""What a provider says a message cost, as `DeliveryReport` keyword arguments.

Shared by the adapters whose reports carry a price. A price field that is present but not a
number (or has no currency) is marked unreadable: the report still applies its status, and
the message's cost stays unknown rather than guessed (`billing.pricing`).
"""

from decimal import Decimal
from typing import Any

from billing.money import amount_parse, currency_parse


def reported_price(amount: Any, currency: Any, *, units: int | None = None) -> dict[str, Any]:
    """`price`, `currency` (or `price_unreadable`) for a report; nothing when no price was
    sent. `units` multiplies a price per segment (Infobip's `pricePerMessage`)."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return {}
    price = amount_parse(amount)
    code = currency_parse(currency)
    if price is None or not code or price < 0:
        return {"price_unreadable": True}
    if units is not None:
        price *= Decimal(units)
    return {"price": price, "currency": code}


def encoding_of(value: Any) -> str:
    """ "gsm7" or "ucs2" from the spellings providers use ("GSM-7", "UCS-2", "unicode")."""
    text = str(value or "").strip().lower().replace("-", "").replace("_", "")
    if text in ("gsm7", "gsm", "text", "7bit"):
        return "gsm7"
    if text in ("ucs2", "unicode", "utf16"):
        return "ucs2"
    return ""
