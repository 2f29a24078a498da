"""Only what the database can store leaves an adapter: checked once, for every provider.

Adapters map what a provider said; a provider (or anyone holding a leaked token) can still
say things no column holds: a NUL or a lone surrogate (`"\\ud800"` is valid JSON) that
PostgreSQL and SQLite refuse, an id longer than its column, a time in year 1. Left in a
report they fail the apply every time it is tried. Here, before anything is stored, a
report without a usable message id is refused by name and any other bad field is dropped
and named, so the rest of what the report says is recorded.
"""

from dataclasses import replace
from functools import cache
from operator import attrgetter, le

from deliveries.reports import DeliveryReport

# Ids a later report may fill in or a rollup groups by: cut short they would name another
# template, campaign or operator, so one too long for its column is dropped, not cut.
_ID_FIELDS = ("channel", "to", "sender", "operator", "client_ref", "tag", "dlt_template_id")
# The provider's own words: cut to their columns' length when applied, never dropped for it.
_WORDS_FIELDS = ("provider_status", "provider_code", "error_code", "error_message")
_TIME_FIELDS = ("event_time", "submitted_at", "sent_at", "delivered_at", "read_at")
_COUNT_FIELDS = ("segments", "call_duration")
# Years far outside any real report, well inside what the database and the rollups'
# local-time buckets can hold (year 1 plus an offset is year 0: Python cannot represent
# it). The year as reported, whatever its offset: a few hours either way do not matter.
_YEARS = (2000, 2100)
_COUNT_LIMIT = 2**31  # PositiveIntegerField
_SHOWN_ID_LENGTH = 40


class UnusableReport(ValueError):
    """The report's message id cannot be stored: nothing it says can be recorded."""


def report_storable(report: DeliveryReport) -> tuple[DeliveryReport, list[str]]:
    """The report with every field the database cannot store dropped, and their names
    (each with why). Raises UnusableReport when the message id itself is the problem."""
    if _plainly_storable(report):
        return report, []
    return _report_cleaned(report)


_ids = attrgetter("message_id", *_ID_FIELDS)
_texts = attrgetter("message_id", *_ID_FIELDS, *_WORDS_FIELDS)
_times = attrgetter(*_TIME_FIELDS)
_counts = attrgetter(*_COUNT_FIELDS)


def _plainly_storable(report: DeliveryReport) -> bool:
    """The common case, checked in one pass per kind of field (this runs for every report
    the drain applies)."""
    text = "".join(_texts(report))
    if "\x00" in text or not (text.isascii() or _encodes(text)) or not report.message_id:
        return False
    if not all(map(le, map(len, _ids(report)), _id_limits())):
        return False
    if not all(when is None or _YEARS[0] <= when.year < _YEARS[1] for when in _times(report)):
        return False
    return all(count is None or 0 <= count < _COUNT_LIMIT for count in _counts(report))


def _report_cleaned(report: DeliveryReport) -> tuple[DeliveryReport, list[str]]:
    limits = _limits()
    problem = _text_problem(report.message_id, limits["message_id"]) or (
        "it is empty" if not report.message_id else None
    )
    if problem:
        raise UnusableReport(f"message_id {_shown(report.message_id)} is unusable ({problem})")
    dropped: dict[str, object] = {}
    notes: list[str] = []
    for name in (*_ID_FIELDS, *_WORDS_FIELDS):
        problem = _text_problem(getattr(report, name), limits.get(name))
        if problem:
            dropped[name] = ""
            notes.append(f"{name} ({problem})")
    for name in _TIME_FIELDS:
        when = getattr(report, name)
        if when is not None and not _YEARS[0] <= when.year < _YEARS[1]:
            dropped[name] = None
            notes.append(f"{name} (out of range)")
    for name in _COUNT_FIELDS:
        count = getattr(report, name)
        if count is not None and not 0 <= count < _COUNT_LIMIT:
            dropped[name] = None
            notes.append(f"{name} (out of range)")
    if not dropped:
        return report, []
    note = f"{_shown(report.message_id)}: dropped {', '.join(notes)}"
    return replace(report, **dropped), [note]  # type: ignore[arg-type]


def text_storable(value: str) -> str:
    """Text for a column of our own (an error message): NULs removed, lone surrogates
    replaced, so writing it can never fail."""
    if value.isascii():
        return value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _text_problem(value: str, limit: int | None) -> str | None:
    if "\x00" in value:
        return "it holds a NUL character"
    if not (value.isascii() or _encodes(value)):
        return "it holds a lone surrogate"
    if limit and len(value) > limit:
        return f"longer than {limit} characters"
    return None


def _encodes(text: str) -> bool:
    """UTF-8 can encode it: the only str that cannot holds a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(message_id: str) -> str:
    """The id for an error message: escaped (the message must be storable), and short."""
    cut = message_id[:_SHOWN_ID_LENGTH]
    return ascii(cut) + ("…" if len(message_id) > len(cut) else "")


@cache
def _limits() -> dict[str, int]:
    """Column lengths, read from the model (imported here: adapters load before models)."""
    from django.db.models import CharField

    from deliveries.models import Message

    # The report's `to` is kept as reported in `to_raw` (`to` holds its E.164 form).
    columns = {name: name for name in ("message_id", *_ID_FIELDS)} | {"to": "to_raw"}
    fields = {name: Message._meta.get_field(column) for name, column in columns.items()}
    return {
        name: field.max_length
        for name, field in fields.items()
        if isinstance(field, CharField) and field.max_length
    }


@cache
def _id_limits() -> tuple[int, ...]:
    """The limits in `_ids` order."""
    limits = _limits()
    return tuple(limits[name] for name in ("message_id", *_ID_FIELDS))
