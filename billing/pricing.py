"""Pricing each message as reports and registrations change it.

A message's cost is the provider's own figure when a report carried one (`reported`), else
the rate card's price valid at its submit time × its segments (`rate_card`), else
`unknown`. Called by `deliveries.services` on the rows it is about to write, so the cost is
written with the status in the same statement.
"""

from bisect import bisect_right
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import phonenumbers
from django.db.models import Count, Max

from deliveries.reports import DeliveryReport

from .models import Rate

REPORTED = "reported"
RATE_CARD = "rate_card"
UNKNOWN = "unknown"
COST_FIELDS = ("cost", "cost_currency", "cost_source", "price_unreadable", "encoding", "category")

RateKey = tuple[str, str, str, str, str, str]  # provider, channel, country, operator, cat, enc


@dataclass(frozen=True)
class Version:
    valid_from: datetime
    price: Decimal
    currency: str


class RateBook:
    """Every rate, indexed by its key, each key's versions in `valid_from` order."""

    def __init__(self, rates: list[tuple[RateKey, Version]]) -> None:
        self._versions: dict[RateKey, list[Version]] = {}
        for key, version in sorted(rates, key=lambda r: r[1].valid_from):
            self._versions.setdefault(key, []).append(version)
        self._starts = {k: [v.valid_from for v in vs] for k, vs in self._versions.items()}

    def __bool__(self) -> bool:
        return bool(self._versions)

    def find(self, *, at: datetime, key: RateKey) -> Version | None:
        """The version valid `at`, of the most specific key matching: an operator's rate
        before its country's, a country's before any, a category's or encoding's before
        a blank one."""
        provider, channel, country, operator, category, encoding = key
        for op in (operator, "") if operator else ("",):
            for cc in (country, "") if country else ("",):
                for cat in (category, "") if category else ("",):
                    for enc in (encoding, "") if encoding else ("",):
                        candidate = (provider, channel, cc, op, cat, enc)
                        starts = self._starts.get(candidate)
                        if starts is None:
                            continue
                        index = bisect_right(starts, at)
                        if index:
                            return self._versions[candidate][index - 1]
        return None


_cached: tuple[tuple[int, Any], RateBook] | None = None


def rate_book() -> RateBook:
    """The rate card, reloaded when a rate was added, changed or removed (one cheap query
    per batch: rates change rarely, messages by the thousand)."""
    global _cached
    stamp = Rate.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    version = (stamp["n"], stamp["last"])
    if stamp["n"] == 0:
        return RateBook([])  # no rate card: nothing more to read
    if _cached is None or _cached[0] != version:
        rows = Rate.objects.values_list(
            "provider",
            "channel",
            "country",
            "operator",
            "category",
            "encoding",
            "valid_from",
            "price",
            "currency",
        )
        rates = [
            ((p, ch, cc, op.lower(), cat.lower(), enc), Version(vf, price, cur))
            for p, ch, cc, op, cat, enc, vf, price, cur in rows
        ]
        _cached = (version, RateBook(rates))
    return _cached[1]


def cost_merge(message: MutableMapping[str, Any], report: DeliveryReport, *, applied: bool) -> None:
    """Take what a report says about the price. Order-independent: a reported price fills
    a message without one, and the report that moves the status replaces it."""
    if report.encoding and not message["encoding"]:
        message["encoding"] = report.encoding[:8]
    if report.category and not message["category"]:
        message["category"] = report.category[:32].lower()
    if report.price is not None and report.currency:
        if message["cost_source"] != REPORTED or applied:
            message["cost"] = report.price
            message["cost_currency"] = report.currency
            message["cost_source"] = REPORTED
    elif report.price_unreadable:
        message["price_unreadable"] = True


def message_price(message: MutableMapping[str, Any], rates: RateBook) -> None:
    """Price a message that has no reported cost from the rate card; unknown without one."""
    if message["cost_source"] == REPORTED:
        return
    version = None
    if rates and not message["price_unreadable"]:
        at = message["submitted_at"] or message["created_at"]
        key = (
            message["provider"],
            message["channel"],
            country_of(message["to"]),
            (message["operator"] or "").lower(),
            message["category"] or "",
            message["encoding"] or "",
        )
        version = rates.find(at=at, key=key)
    if version is None:
        message.update(cost=None, cost_currency="", cost_source=UNKNOWN)
        return
    # An unknown segment count is priced as one segment: most messages are one.
    segments = message["segments"] or 1
    message.update(
        cost=version.price * segments, cost_currency=version.currency, cost_source=RATE_CARD
    )


@lru_cache(maxsize=100_000)
def country_of(e164: str) -> str:
    """ISO 3166 alpha-2 of an E.164 number, or "" when it is not one."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(number) or ""
