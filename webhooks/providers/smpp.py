"""SMPP delivery receipts: the `id:… sub:… dlvrd:… … stat:DELIVRD err:000 text:…` text.

Documentation: SMPP v3.4, Appendix B ("Delivery Receipt Format"), and Kannel's user guide
(`%A` in a dlr-url carries this text for SMPP routes). The appendix is only a
recommendation, so SMSCs differ: fields come in any order or not at all, dates have 10
(YYMMDDhhmm) or 12 (YYMMDDhhmmss) digits, keys change case, and the `id` is decimal on some
routes and hexadecimal on others — `id_variants()` gives both readings for matching.

Not a provider: Kannel and Jasmin use it, and any adapter may. Fixtures live in
tests/fixtures/kannel/ and tests/fixtures/jasmin/.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from deliveries.status import Status

STAT_MAP: dict[str, Status] = {
    "DELIVRD": Status.DELIVERED,
    "DELIVERED": Status.DELIVERED,
    "ACCEPTD": Status.SENT,
    "ACCEPTED": Status.SENT,
    "ENROUTE": Status.SENT,
    "EXPIRED": Status.EXPIRED,
    "DELETED": Status.FAILED,
    "UNDELIV": Status.UNDELIVERED,
    "UNDELIVERABLE": Status.UNDELIVERED,
    "REJECTD": Status.REJECTED,
    "REJECTED": Status.REJECTED,
    "UNKNOWN": Status.UNKNOWN,
}
_KEYS = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err")
_FIELD = {
    key: re.compile(rf"(?:^|[\s,;]){key.replace(' ', r'[ _]?')}\s*:\s*([^\s,;]*)", re.IGNORECASE)
    for key in _KEYS
}
_TEXT = re.compile(r"(?:^|\s)text\s*:(.*)", re.IGNORECASE | re.DOTALL)
_NEXT_KEY = re.compile(r"\s(?:id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err)\s*:", re.I)


@dataclass(frozen=True)
class SmppReceipt:
    id: str = ""
    sub: str = ""
    dlvrd: str = ""
    submit_date: datetime | None = None
    done_date: datetime | None = None
    stat: str = ""
    err: str = ""
    text: str = ""

    @property
    def status(self) -> Status:
        return STAT_MAP.get(self.stat.upper(), Status.UNKNOWN)

    @property
    def error_code(self) -> str:
        """`err` unless it only says "no error" (000, 0, empty)."""
        return self.err if self.err.strip("0") else ""

    def id_variants(self) -> list[str]:
        return id_variants(self.id)


def receipt_parse(raw: str) -> SmppReceipt | None:
    """The fields of a receipt text, or None when it has neither an id nor a stat."""
    head, start, end = _receipt_split(raw)
    text_part = raw[start:end].strip()
    values = {key: _field(head, key) for key in _KEYS}
    if not values["id"] and not values["stat"]:
        return None
    return SmppReceipt(
        id=values["id"],
        sub=values["sub"],
        dlvrd=values["dlvrd"],
        submit_date=receipt_date(values["submit date"]),
        done_date=receipt_date(values["done date"]),
        stat=values["stat"].upper(),
        err=values["err"],
        text=text_part,
    )


def receipt_text_span(raw: str) -> tuple[int, int] | None:
    """Where the message text of a receipt is, as (start, end), or None when it has none.

    The same text `receipt_parse` reads, so that it can be cut out (it is often an OTP)
    and the rest of the receipt still reads the same.
    """
    head, start, end = _receipt_split(raw)
    if start == end or not (_field(head, "id") or _field(head, "stat")):
        return None
    segment = raw[start:end]
    start += len(segment) - len(segment.lstrip())
    end -= len(segment) - len(segment.rstrip())
    return (start, end) if start < end else None


def receipt_date(value: str) -> datetime | None:
    """YYMMDDhhmm or YYMMDDhhmmss, read as UTC (SMSCs rarely say their zone); else None."""
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (10, 12):
        return None
    try:
        parsed = datetime.strptime(digits, "%y%m%d%H%M%S" if len(digits) == 12 else "%y%m%d%H%M")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC)


def id_variants(message_id: str) -> list[str]:
    """The id as given, plus its other reading: decimal ↔ hexadecimal.

    SMSCs disagree on whether the receipt repeats the submit_sm_resp id in decimal or hex;
    whoever matches a receipt to a message tries both.
    """
    value = message_id.strip()
    variants = [value] if value else []
    if value.isdigit() and len(value) < 40:
        variants.append(format(int(value), "x"))
    elif value and len(value) < 40 and re.fullmatch(r"[0-9a-fA-F]+", value):
        variants.append(str(int(value, 16)))
    return variants


def _receipt_split(raw: str) -> tuple[str, int, int]:
    """(the receipt's fields without its text, where the text starts, where it ends)."""
    text_match = _TEXT.search(raw)
    if not text_match:
        return raw, len(raw), len(raw)
    start, end = text_match.span(1)
    # `text` is usually last; when an SMSC puts fields after it, they are fields.
    next_key = _NEXT_KEY.search(raw, start)
    if next_key:
        end = next_key.start()
    return raw[: text_match.start()] + (" " + raw[end:] if next_key else ""), start, end


def _field(head: str, key: str) -> str:
    match = _FIELD[key].search(head)
    return match.group(1).strip() if match else ""
