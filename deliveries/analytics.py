"""Reads for campaign managers: delivery figures from the rollups, never from `Message`.

Every figure is a sum over `DeliveryRollup` cells, so a dashboard costs the same few
queries on a thousand messages or on a hundred million. Ranges are rounded out to whole
hours: a cell covers the hour its messages were submitted in.

Definitions (the same on the pages, in the API and in CSV exports):
- sent: every message, whatever its status; delivered / failed / pending by status kind;
- delivery rate: delivered ÷ sent; DLR coverage: messages with a final status ÷ sent;
- no DLR: pending messages submitted longer ago than the channel's `DLR_VALIDITY_HOURS`;
- read rate: read ÷ delivered, WhatsApp and RCS only; answer rate: answered ÷ calls, and
  average call duration over answered calls, Voice only;
- latency: submit → delivered, interpolated inside the log-spaced histogram's buckets
  (`deliveries.latency.latency_quantile`).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import status as st
from .error_codes import error_code_meaning
from .figures import Figures, Group
from .latency import LATENCY_COLUMNS
from .models import Campaign, Message
from .reports import CHANNEL_CHOICES, Environment
from .rollup_reads import count_rows, day_rows, histogram_rows, rollup_cells, rollup_rows
from .rollups import hour_of
from .slices import MESSAGE_TIME, Slice

# group_by value → rollup column.
DIMENSIONS: dict[str, str] = {
    "operator": "operator",
    "channel": "channel",
    "provider": "provider",
    "campaign": "campaign_id",
    "error_code": "error_code",
}
TIME_GROUPS = ("hour", "day")
GROUP_BY_CHOICES = (*DIMENSIONS, *TIME_GROUPS)
STUCK_LIST_LIMIT = 50


@dataclass
class DeliveryStats:
    since: datetime
    until: datetime
    group_by: str | None
    totals: Figures
    groups: list[Group]


def delivery_stats(
    *,
    slice: Slice,
    group_by: str | None = None,
    now: datetime | None = None,
) -> DeliveryStats:
    """Totals for the slice, and one `Group` per value of `group_by` (largest first; for
    `hour`/`day`, one per period in time order, empty periods included).

    One query, two for `hour`/`day` (time series rows leave out the latency histogram).
    """
    if group_by is not None and group_by not in GROUP_BY_CHOICES:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY_CHOICES)}")
    now = now or timezone.now()
    cells = rollup_cells(slice=slice, now=now)
    totals = Figures()
    if group_by in TIME_GROUPS:
        _figures_fold(rollup_rows(cells, []), lambda row: totals)
        groups = _series(slice=slice, per=group_by, now=now)
        return DeliveryStats(slice.since, slice.until, group_by, totals, groups)
    column = DIMENSIONS.get(group_by or "")
    by_key: dict[Any, Figures] = {}

    def target(row: Mapping[str, Any]) -> Figures:
        totals.add(row)
        if column is None or (column == "error_code" and not row[column]):
            return Figures()  # counted in the totals only
        key = (row["provider"], row[column]) if column == "error_code" else row[column]
        return by_key.setdefault(key, Figures())

    extra = ["provider", column] if column == "error_code" else [column] if column else []
    _figures_fold(rollup_rows(cells, extra), target)
    groups = _groups_label(column, by_key)
    groups.sort(key=lambda g: (-g.figures.sent, g.label))
    return DeliveryStats(slice.since, slice.until, group_by, totals, groups)


def delivery_overview(
    *,
    slice: Slice,
    group_bys: Sequence[str] = (),
    now: datetime | None = None,
) -> tuple[Figures, dict[str, list[Group]]]:
    """The slice's totals and one list of groups per dimension in `group_bys`, in one query.

    The figures equal `delivery_stats(..., group_by=dimension)` for each dimension, but the
    slice's cells are read once, not once per breakdown: the query first sums them over
    the hours (a few thousand rows however long the range), then groups that small result
    once per dimension (`UNION ALL`). Counts and histograms stay apart throughout (see
    `rollup_rows`): grouping the histograms' 36 columns over every count row too made each
    dashboard measurably slower (bench/README.md). Time groups are not accepted: see
    `delivery_stats`.
    """
    for name in group_bys:
        if name not in DIMENSIONS:
            raise ValueError(f"group_by must be one of {', '.join(DIMENSIONS)}")
    now = now or timezone.now()
    cells = rollup_cells(slice=slice, now=now)
    extra = ["campaign_id", "provider", "operator", "error_code"]
    counts, params = count_rows(cells, extra).query.sql_with_params()
    histograms, more = histogram_rows(cells, extra).query.sql_with_params()
    # Every name interpolated below is a constant of this module (DIMENSIONS), not input.
    zeros = ", ".join("0" for _ in LATENCY_COLUMNS)
    sums = ", ".join(f"SUM({c})" for c in LATENCY_COLUMNS)
    measures = [
        f"channel, status, SUM(n), SUM(secs), SUM(no_dlr), {zeros} FROM cells",
        f"channel, status, 0, 0, 0, {sums} FROM latencies",
    ]
    per_cell = "channel, status"
    parts = [f"SELECT '', '', '', {m} GROUP BY {per_cell}" for m in measures]
    for name in group_bys:
        column = DIMENSIONS[name]
        for m in measures:
            if column == "error_code":
                # Keyed by provider too: the same code means different things per provider.
                parts.append(
                    f"SELECT '{name}', provider, error_code, {m} "
                    f"WHERE error_code <> '' GROUP BY provider, error_code, {per_cell}"
                )
            else:
                parts.append(
                    f"SELECT '{name}', CAST({column} AS TEXT), '', {m} "
                    f"GROUP BY {column}, {per_cell}"
                )
    sql = f"WITH cells AS ({counts}), latencies AS ({histograms}) " + " UNION ALL ".join(parts)
    params = (*params, *more)
    totals = Figures()
    by_name: dict[str, dict[Any, Figures]] = {name: {} for name in group_bys}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, first, second, channel_, status, n, secs, no_dlr, *lat in cursor.fetchall():
            row = {
                "channel": channel_,
                "status": status,
                "n": int(n or 0),
                "secs": int(secs or 0),
                "no_dlr": int(no_dlr or 0),
                **{c: int(v or 0) for c, v in zip(LATENCY_COLUMNS, lat, strict=True)},
            }
            if not name:
                totals.add(row)
                continue
            key: Any = first
            if DIMENSIONS[name] == "campaign_id":
                key = int(first)
            elif DIMENSIONS[name] == "error_code":
                key = (first, second)
            by_name[name].setdefault(key, Figures()).add(row)
    groups: dict[str, list[Group]] = {}
    for name, by_key in by_name.items():
        labelled = _groups_label(DIMENSIONS[name], by_key)
        labelled.sort(key=lambda g: (-g.figures.sent, g.label))
        groups[name] = labelled
    return totals, groups


def delivery_series(
    *,
    slice: Slice,
    per: str = "hour",
    now: datetime | None = None,
) -> list[Group]:
    """One group per hour or day of the range (empty ones included), in one query."""
    if per not in TIME_GROUPS:
        raise ValueError(f"per must be one of {', '.join(TIME_GROUPS)}")
    return _series(slice=slice, per=per, now=now or timezone.now())


def messages_stuck(
    *,
    slice: Slice,
    now: datetime | None = None,
    limit: int = STUCK_LIST_LIMIT,
) -> list[Message]:
    """Pending messages past their channel's validity window, newest first, at most `limit`.

    Like the rollups, time counts from submission (else creation). One query per channel
    with a validity window, each a backward range scan of the `message_pending` index (its
    channel, from the earlier of `until` and the channel's cutoff down to `since`) that stops
    after `limit` rows: the cost does not grow with the messages still inside their window,
    nor with the table. Extra filters (campaign, provider, operator) are checked on the rows
    the scan reads, so a filter that matches few pending messages reads more of the range.
    """
    now = now or timezone.now()
    start = hour_of(slice.since)
    pending = Message.objects.annotate(at=MESSAGE_TIME).filter(
        slice.segment(channel=False),
        status__in=sorted(st.PENDING_STATUSES),
        at__gte=start,
        environment=Environment.LIVE,  # sandbox traffic is in no figure
    )
    found: list[Message] = []
    for name, hours in sorted(settings.DLR_VALIDITY_HOURS.items()):
        if slice.channel and name != slice.channel:
            continue
        end = min(slice.until, now - timedelta(hours=hours))
        if end <= start:
            continue  # the whole range is still inside this channel's window
        rows = pending.filter(channel=name, at__lt=end).select_related("campaign")
        found += rows.order_by("-at", "-id")[:limit]
    found.sort(key=lambda m: (m.submitted_at or m.created_at, m.pk), reverse=True)
    return found[:limit]


@dataclass
class CampaignSummary:
    campaign: Campaign
    figures: Figures
    trend: list[int]  # messages per UTC day over the range, oldest first


def campaigns_overview(
    *, since: datetime, until: datetime, now: datetime | None = None
) -> list[CampaignSummary]:
    """Every campaign with its figures and daily volume over the range: one read of the
    range's cells, summed per campaign, day, channel and status, and one of the campaigns.

    The figures are `delivery_stats(group_by="campaign")`'s without the latency histogram,
    which the campaign list does not show: summing its 36 columns over every cell of the
    range cost more than the rest (and a second read for the trend) did. The trend, a
    sparkline, is per UTC day: the daily cells alone, where the viewer's local days would
    add a fifth of the range's hourly cells (`rollup_reads.day_rows`).
    """
    now = now or timezone.now()
    figures: dict[int, Figures] = {}
    trend: dict[int, dict[date, int]] = {}
    slice = Slice(since=since, until=until)
    for row in day_rows(slice=slice, now=now, extra=["campaign_id"], zone=UTC):
        figures.setdefault(row["campaign_id"], Figures()).add(row)
        per_day = trend.setdefault(row["campaign_id"], {})
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["n"]
    days = _days(since, until, zone=UTC)
    return [
        CampaignSummary(
            campaign=c,
            figures=figures.get(c.pk, Figures()),
            trend=[trend.get(c.pk, {}).get(day, 0) for day in days],
        )
        for c in Campaign.objects.order_by("name")
    ]


def error_label(*, provider: str, code: str) -> str:
    meaning = error_code_meaning(provider=provider, code=code)
    return meaning.meaning if meaning else code


def _figures_fold(rows: Iterable[Mapping[str, Any]], target: Any) -> None:
    for row in rows:
        target(row).add(row)


def _groups_label(column: str | None, by_key: dict[Any, Figures]) -> list[Group]:
    if column == "campaign_id":
        names = dict(Campaign.objects.filter(pk__in=by_key).values_list("pk", "name"))
        return [Group(str(k), names.get(k, "(no campaign)"), f) for k, f in by_key.items()]
    if column == "channel":
        labels = dict(CHANNEL_CHOICES)
        return [Group(k, labels.get(k, k), f) for k, f in by_key.items()]
    if column == "error_code":
        return [
            Group(f"{provider}:{code}", error_label(provider=provider, code=code), f)
            for (provider, code), f in by_key.items()
        ]
    return [Group(str(k), str(k) or "(unknown)", f) for k, f in by_key.items()]


def _series(*, slice: Slice, per: str, now: datetime) -> list[Group]:
    """One group per hour or day of the range, empty ones included, in time order."""
    figures: dict[Any, Figures] = {}
    if per == "day":
        for row in day_rows(slice=slice, now=now, extra=[]):
            figures.setdefault(row["day"], Figures()).add(row)
    else:
        by_hour = rollup_cells(slice=slice, now=now, days=False)
        for row in rollup_rows(by_hour, ["bucket"], latency=False):
            figures.setdefault(row["bucket"], Figures()).add(row)
    if per == "hour":
        start = hour_of(slice.since)
        hours = int((slice.until - start).total_seconds() // 3600) + 1
        periods: list[Any] = [start + timedelta(hours=h) for h in range(hours)]
        periods = [p for p in periods if p < slice.until]
        # Labelled in the viewer's zone (hours are UTC hours: :30 past in India).
        return [
            Group(p.isoformat(), f"{timezone.localtime(p):%d %b %H:%M}", figures.get(p, Figures()))
            for p in periods
        ]
    return [
        Group(d.isoformat(), f"{d:%d %b}", figures.get(d, Figures()))
        for d in _days(slice.since, slice.until)
    ]


def _days(since: datetime, until: datetime, zone: tzinfo | None = None) -> list[date]:
    first, last = timezone.localdate(since, zone), timezone.localdate(until, zone)
    return [first + timedelta(days=d) for d in range((last - first).days + 1)]
