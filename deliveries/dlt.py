"""DLT failure drill-down (India): which registration to fix, from the failed messages.

Failures are grouped by DLT cause (the error-code catalog's `category`: entity, header,
template, consent, dnd), by DLT template id and by sender id, with a count per day.

Template and sender are not rollup dimensions, so this reads `Message` — but only failed
messages in the window: the (status, -created_at) index `message_status` finds them
(one range scan per failed status; failures are a few per cent of traffic), and the
grouping happens in the database, so Python sees one row per (provider, code, template,
sender, day). A message is created after it was submitted, so `created_at >= since` is a
safe index bound; the day is the submission day (else creation), as in the rollups.
The window is limited to `MAX_RANGE`.

On PostgreSQL the plan is a bitmap scan of `message_status` (status = ANY(failed…) AND
created_at >= since), then a sort and a group aggregate (bench/README.md has the measured
run). Its cost follows failures in the window, not traffic.
A rollup keyed by template and sender would make it constant, at the price of a second
upsert per batch in `reports_apply`; worth it if failure volume grows by 10×.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from . import status as st
from .error_codes import error_code_meaning
from .models import Message
from .reports import Environment
from .slices import Slice

MAX_RANGE = timedelta(days=92)
CAUSES: dict[str, str] = {
    "entity": "Entity (PE id)",
    "header": "Header / sender",
    "template": "Template",
    "consent": "Consent",
    "dnd": "DND (NCPR)",
}
TOP_ROWS = 20


@dataclass
class DltRow:
    key: str
    label: str
    messages: int = 0
    trend: list[int] = field(default_factory=list)  # per day of the window, oldest first
    codes: dict[str, int] = field(default_factory=dict)  # "provider:code" → messages


@dataclass
class DltCode:
    provider: str
    code: str
    cause: str
    meaning: str
    messages: int
    trend: list[int]


@dataclass
class DltDrilldown:
    since: datetime
    until: datetime
    days: list[date]
    total: int
    by_cause: list[DltRow]
    by_code: list[DltCode]
    by_template: list[DltRow]
    by_sender: list[DltRow]


def dlt_failures(*, slice: Slice) -> DltDrilldown:
    """DLT failures submitted in [since, until), grouped four ways (one query). DLT is an
    SMS registration, so the slice's channel is not a filter here."""
    since, until = slice.since, slice.until
    if until - since > MAX_RANGE:
        raise ValueError("the DLT drill-down is limited to 92 days")
    days = _days(since, until)
    submitted = Coalesce(F("submitted_at"), F("created_at"))
    messages = Message.objects.filter(
        status__in=st.FAILED_STATUSES, created_at__gte=since, environment=Environment.LIVE
    ).exclude(error_code="")
    messages = messages.annotate(moment=submitted).filter(
        slice.segment(channel=False), moment__gte=since, moment__lt=until
    )
    rows = (
        messages.annotate(day=TruncDate("moment", tzinfo=timezone.get_current_timezone()))
        .values("provider", "error_code", "dlt_template_id", "sender", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    index = {day: i for i, day in enumerate(days)}
    causes = {k: DltRow(k, label, trend=[0] * len(days)) for k, label in CAUSES.items()}
    codes: dict[tuple[str, str], DltCode] = {}
    templates: dict[str, DltRow] = {}
    senders: dict[str, DltRow] = {}
    total = 0
    for row in rows:
        meaning = error_code_meaning(provider=row["provider"], code=row["error_code"])
        if meaning is None or meaning.category not in CAUSES:
            continue
        n, slot = row["n"], index.get(row["day"])
        total += n
        code_key = (row["provider"], row["error_code"])
        if code_key not in codes:
            codes[code_key] = DltCode(
                row["provider"], row["error_code"], meaning.category, meaning.meaning, 0,
                [0] * len(days),
            )  # fmt: skip
        targets: list[DltRow | DltCode] = [
            causes[meaning.category],
            codes[code_key],
            _row(templates, row["dlt_template_id"], len(days)),
            _row(senders, row["sender"], len(days)),
        ]
        for target in targets:
            target.messages += n
            if slot is not None:
                target.trend[slot] += n
            if isinstance(target, DltRow):
                label = f"{row['provider']}:{row['error_code']}"
                target.codes[label] = target.codes.get(label, 0) + n
    return DltDrilldown(
        since=since,
        until=until,
        days=days,
        total=total,
        by_cause=list(causes.values()),
        by_code=sorted(codes.values(), key=lambda c: (-c.messages, c.provider, c.code)),
        by_template=_largest(templates),
        by_sender=_largest(senders),
    )


def _row(rows: dict[str, DltRow], key: str, days: int) -> DltRow:
    if key not in rows:
        rows[key] = DltRow(key, key or "(not reported)", trend=[0] * days)
    return rows[key]


def _largest(rows: dict[str, DltRow]) -> list[DltRow]:
    return sorted(rows.values(), key=lambda r: (-r.messages, r.key))[:TOP_ROWS]


def _days(since: datetime, until: datetime) -> list[date]:
    first = timezone.localdate(since)
    last = timezone.localdate(until - timedelta(microseconds=1))
    return [first + timedelta(days=d) for d in range((last - first).days + 1)]
