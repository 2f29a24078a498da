"""Each message priced by the rate valid at its submit time × its segments, or by what the
provider reported; spend kept per currency, never mixed; the rollup equals a rebuild."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from billing.models import Rate, SpendRollup
from billing.selectors import provider_costs, spend_breakdown, spend_totals
from billing.spend import spend_rebuild
from deliveries.models import Campaign, DeliveryRollup, Message, ReportKey
from deliveries.registration import messages_register
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.slices import Slice
from deliveries.status import Status

from ..helpers import examples
from .rates import rate_add

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 1, tzinfo=UTC)
MONTH = Slice(since=NOV, until=datetime(2026, 12, 1, tzinfo=UTC))


def report(message_id: str, status: str = "delivered", **fields: Any) -> DeliveryReport:
    defaults: dict[str, Any] = {
        "provider": "smstake",
        "message_id": message_id,
        "status": Status(status),
        "provider_status": status,
        "channel": "sms",
        "to": "+919876543210",
        "operator": "JIO",
        "submitted_at": NOV + timedelta(days=2),
        "event_time": NOV + timedelta(days=2, seconds=5),
    }
    return DeliveryReport(**{**defaults, **fields})


def apply(*reports: DeliveryReport) -> None:
    reports_apply(items=[(r, None) for r in reports])


def cost(message_id: str) -> tuple[Decimal | None, str, str]:
    m = Message.objects.get(message_id=message_id)
    return m.cost, m.cost_currency, m.cost_source


def test_a_rate_change_mid_month_prices_each_message_by_its_submit_time():
    rate_add(provider="smstake", price="0.0040", currency="INR", country="IN", valid_from=NOV)
    rate_add(
        provider="smstake",
        price="0.0050",
        currency="INR",
        country="IN",
        valid_from=NOV + timedelta(days=15),
    )
    before = NOV + timedelta(days=14, hours=23, minutes=59)
    after = NOV + timedelta(days=15)
    apply(
        report("early", submitted_at=before, segments=3),
        # Its report arrives after the change: the submit time decides, not the arrival.
        report("early-late-dlr", submitted_at=before, event_time=after + timedelta(days=3)),
        report("late", submitted_at=after, segments=2),
    )

    assert cost("early") == (Decimal("0.012"), "INR", "rate_card")
    assert cost("early-late-dlr") == (Decimal("0.004"), "INR", "rate_card")
    assert cost("late") == (Decimal("0.010"), "INR", "rate_card")


def test_the_most_specific_rate_wins():
    rate_add(provider="smstake", price="0.0100", currency="USD")
    rate_add(provider="smstake", price="0.0040", currency="USD", country="IN")
    rate_add(provider="smstake", price="0.0030", currency="USD", country="IN", operator="jio")
    rate_add(provider="smstake", price="0.0080", currency="USD", country="IN", encoding="ucs2")
    apply(
        report("jio"),
        report("airtel", operator="AIRTEL"),
        report("airtel-unicode", operator="AIRTEL", encoding="ucs2"),
        report("uk", to="+447700900123", operator="EE"),
    )

    assert [cost(m)[0] for m in ("jio", "airtel", "airtel-unicode", "uk")] == [
        Decimal("0.003"),
        Decimal("0.004"),
        Decimal("0.008"),
        Decimal("0.010"),
    ]


def test_segments_arriving_later_reprice_the_message():
    rate_add(provider="smstake", price="0.0040", currency="INR")
    apply(report("m", "sent"))
    assert cost("m")[0] == Decimal("0.004")

    apply(report("m", "delivered", segments=3))

    assert cost("m")[0] == Decimal("0.012")


def test_a_reported_price_beats_the_rate_card_and_the_final_report_decides_it():
    rate_add(provider="smstake", price="0.0040", currency="INR")
    final = report("m", "delivered", price=Decimal("0.0060"), currency="USD")
    interim = report("m", "sent", price=Decimal("0.0050"), currency="USD")
    apply(final, interim)  # the interim report arrives last, out of order
    assert cost("m") == (Decimal("0.006"), "USD", "reported")

    apply(report("n", "sent", price=Decimal("0.0050"), currency="USD"))
    apply(report("n", "delivered", price=Decimal("0.0060"), currency="USD"))
    assert cost("n") == (Decimal("0.006"), "USD", "reported")


def test_a_registered_message_is_priced_when_registered():
    rate_add(provider="smstake", price="0.0040", currency="INR")
    messages_register(
        rows=[{"provider": "smstake", "message_id": "r1", "to": "+919876543210", "segments": 2}]
    )

    assert cost("r1") == (Decimal("0.008"), "INR", "rate_card")
    assert SpendRollup.objects.get().amount_micros == 8000


def test_currencies_are_never_added_together():
    campaign = Campaign.objects.create(name="OTP", ref_prefix="otp_")
    rate_add(provider="smstake", price="0.0040", currency="INR")
    apply(
        report("a", client_ref="otp_1"),
        report("b", client_ref="otp_2", status="failed"),
        report("c", client_ref="otp_3", provider="plivo", price=Decimal("0.0032"), currency="USD"),
        report("d", client_ref="otp_4", provider="wavix"),  # no rate: unknown
    )

    totals = spend_totals(slice=MONTH)

    assert [(s.currency, s.amount) for s in totals.by_currency] == [
        ("INR", Decimal("0.008")),
        ("USD", Decimal("0.0032")),
    ]
    inr = totals.by_currency[0]
    assert (inr.delivered_cost_per_message, inr.undelivered_amount) == (
        Decimal("0.004"),
        Decimal("0.004"),
    )
    assert totals.unpriced == 1
    (group,) = spend_breakdown(slice=MONTH, by="campaign")
    assert (group.key, group.label) == (str(campaign.pk), "OTP")
    assert [s.currency for s in group.by_currency] == ["INR", "USD"]


def spend_cells() -> dict[tuple[Any, ...], tuple[int, ...]]:
    return {
        (
            r.bucket,
            r.campaign_id,
            r.provider,
            r.channel,
            r.operator,
            r.status,
            r.currency,
        ): (r.messages, r.amount_micros, r.segments, r.segmented, r.unicode, r.encoded)
        for r in SpendRollup.objects.all()
        if r.messages
    }


a_report = hs.builds(
    report,
    message_id=hs.sampled_from(["m1", "m2", "m3", "m4"]),
    status=hs.sampled_from(["sent", "delivered", "failed", "rejected", "queued"]),
    provider=hs.sampled_from(["smstake", "plivo"]),
    submitted_at=hs.sampled_from([NOV + timedelta(days=3), NOV + timedelta(days=20)]),
    segments=hs.none() | hs.integers(1, 4),
    encoding=hs.sampled_from(["", "gsm7", "ucs2"]),
    price=hs.none() | hs.decimals("0.000001", "0.5", places=6),
    currency=hs.sampled_from(["USD", "EUR"]),
    price_unreadable=hs.booleans(),
    client_ref=hs.sampled_from(["", "otp_1", "promo_2"]),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=hs.lists(hs.lists(a_report, min_size=1, max_size=5), min_size=1, max_size=5))
def test_incremental_spend_equals_the_rebuilt_spend(batches):
    Campaign.objects.get_or_create(ref_prefix="otp_", defaults={"name": "OTP"})
    rate_add(provider="smstake", price="0.0040", currency="INR", valid_from=NOV)
    rate_add(provider="smstake", price="0.0050", currency="INR", valid_from=NOV + timedelta(10))
    try:
        for batch in batches:
            apply(*batch)
        incremental = spend_cells()

        spend_rebuild()

        assert spend_cells() == incremental
        assert sum(v[0] for v in incremental.values()) == Message.objects.count()
    finally:
        Message.objects.all().delete()
        ReportKey.objects.all().delete()
        DeliveryRollup.objects.all().delete()
        SpendRollup.objects.all().delete()
        Rate.objects.all().delete()


def test_rebuild_spend_command_recreates_the_same_spend():
    rate_add(provider="smstake", price="0.0040", currency="INR")
    apply(report("a", segments=2), report("b", "failed", encoding="ucs2"))
    incremental = spend_cells()
    SpendRollup.objects.all().delete()

    call_command("rebuild_spend", stdout=None)

    assert spend_cells() == incremental


def test_the_digest_scorecard_gives_each_provider_its_spend_per_currency():
    rate_add(provider="smstake", price="0.20", currency="INR")
    apply(
        report("a", segments=2),
        report("b", provider="infobip", price=Decimal("0.0075"), currency="EUR"),
        report("c", provider="infobip", price=Decimal("0.0100"), currency="USD"),
    )

    costs = provider_costs(MONTH.since, MONTH.until)

    assert costs == {"infobip": "EUR 0.01 · USD 0.01", "smstake": "INR 0.40"}
