"""The providers' usage exports dlrdash reads, and how one row becomes a billed message.

- Plivo's message detail records (MDR), as exported from the console or listed by the
  Message API (https://www.plivo.com/docs/messaging/api/messages/): `message_uuid`,
  `message_time`, `message_direction`, `message_state`, `units`, `total_amount`; amounts
  in US dollars, no currency column. The console's headers ("Message UUID", …) are the
  same names spelled with spaces.
- Twilio's message log export (Console → Monitor → Messaging logs → Export CSV, the fields
  of https://www.twilio.com/docs/messaging/api/message-resource): `Sid`, `SentDate`,
  `Direction`, `Status`, `NumSegments`, `Price`, `PriceUnit`. Twilio writes charges as
  negative numbers; a bill's amounts are kept positive.
- Generic: the columns an administrator names once per provider (`ColumnMapping`).

Headers are compared normalized (case, spaces, dashes and underscores ignored), so
"Message UUID", "message_uuid" and "MessageUUID" are one column. Columns not named here are
ignored (and listed on the import); a message body column, if any, is never read.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .models import ColumnMapping

FORMATS = ("plivo", "twilio", "generic")


def header_key(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch.isalnum())


@dataclass(frozen=True)
class BillFormat:
    name: str
    message_id: tuple[str, ...]
    time: tuple[str, ...]
    amount: tuple[str, ...]
    segments: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    direction: tuple[str, ...] = ()
    delimiter: str = ","
    default_currency: str = ""
    # Twilio's charges are negative numbers.
    negated: bool = False

    def required(self) -> dict[str, tuple[str, ...]]:
        return {"message id": self.message_id, "time": self.time, "amount": self.amount}

    def optional(self) -> dict[str, tuple[str, ...]]:
        return {
            "segments": self.segments,
            "currency": self.currency,
            "status": self.status,
            "direction": self.direction,
        }


PLIVO = BillFormat(
    name="plivo",
    message_id=("messageuuid",),
    time=("messagetime",),
    amount=("totalamount",),
    segments=("units",),
    status=("messagestate",),
    direction=("messagedirection",),
    default_currency="USD",
)
TWILIO = BillFormat(
    name="twilio",
    message_id=("sid", "messagesid"),
    time=("sentdate", "datesent"),
    amount=("price",),
    segments=("numsegments",),
    currency=("priceunit",),
    status=("status",),
    direction=("direction",),
    negated=True,
)


def bill_format(name: str, *, provider: str) -> BillFormat:
    """The format called `name`; "generic" reads the provider's `ColumnMapping`."""
    if name == "plivo":
        return PLIVO
    if name == "twilio":
        return TWILIO
    if name != "generic":
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    mapping = ColumnMapping.objects.filter(provider=provider).first()
    if mapping is None:
        raise ValueError(
            f"no column mapping for {provider!r}: name its columns once in the admin "
            "(Billing → Column mappings)"
        )

    def one(column: str) -> tuple[str, ...]:
        return (header_key(column),) if column else ()

    return BillFormat(
        name="generic",
        message_id=one(mapping.message_id_column),
        time=one(mapping.time_column),
        amount=one(mapping.amount_column),
        segments=one(mapping.segments_column),
        currency=one(mapping.currency_column),
        status=one(mapping.status_column),
        delimiter=mapping.delimiter or ",",
        default_currency=mapping.currency,
    )


def time_parse(text: str) -> datetime | None:
    """ISO 8601 (Plivo's "2023-11-22 10:15:01.123456+05:30", Twilio's export) or RFC 2822
    (Twilio's API); a time without a zone is UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
