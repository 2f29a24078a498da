"""The demo's conversion feedback: journeys convert after a real delivery; a faking route's
fake deliveries never do."""

from datetime import UTC, datetime

from webhooks.simulation import TrafficGenerator
from webhooks.simulation_conversions import FakeDeliveries, conversions_simulate

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _conversion_rate(fake: FakeDeliveries | None, provider: str, operator: str) -> float:
    generator = TrafficGenerator(seed=5, now=NOW, infobip_share=0.3)
    generator.requests(1500)
    items = conversions_simulate(generator.sent, now=NOW, seed=5, fake=fake)
    converted = {i.get("client_ref") for i in items}
    otps = [
        m
        for m in generator.sent
        if m.client_ref.startswith("otp_")
        and (m.provider, m.operator, m.channel, m.final) == (provider, operator, "sms", "delivered")
    ]
    return sum(m.client_ref in converted for m in otps) / len(otps)


def test_a_faking_route_converts_less_and_the_others_do_not_change():
    fake = FakeDeliveries.parse("smstake:JIO:0.5")

    honest = _conversion_rate(None, "smstake", "JIO")
    faking = _conversion_rate(fake, "smstake", "JIO")

    assert 0.85 < honest <= 0.95  # the OTP campaign's rate
    assert faking < honest * 0.65
    assert _conversion_rate(fake, "smstake", "AIRTEL") > 0.85


def test_conversions_in_the_future_are_not_posted():
    generator = TrafficGenerator(seed=5, now=NOW)
    generator.requests(200)

    items = conversions_simulate(generator.sent, now=NOW, seed=5)

    assert items and all(datetime.fromisoformat(i["converted_at"]) <= NOW for i in items)
