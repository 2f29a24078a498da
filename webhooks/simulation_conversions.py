"""Simulated conversion feedback for the demo: OTPs verified, links followed.

Drawn from its own random stream, after the DLR traffic (`TrafficGenerator.sent`), so the
DLR traffic of a seed stays what it was. A journey (one `client_ref`) converts when one of
its messages really reached the phone, with its campaign's rate, some seconds after the
report. The feedback names the journey by `client_ref`, as an OTP service knows it — except
where the message went through Wavix, whose reports carry the reference as a `tag`, not a
`client_ref`: there it names the message by provider and message id.

`FakeDeliveries` makes one route lie: a share of the messages it reports delivered never
arrived, so they never convert — what `/compare/`'s DLR trust check looks for.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .simulation import SentMessage

# Campaigns whose sender reports conversions, and how often a delivered message converts:
# an OTP typed in, a "pay now" tapped, a tracking link opened. Promotions are not reported.
CONVERSION_RATES = {"otp_": 0.9, "alert_pay_": 0.7, "order_": 0.6}
_DELIVERED = ("delivered", "read", "answered")


@dataclass(frozen=True)
class FakeDeliveries:
    """`provider`'s route to `operator` (SMS) reports `share` of its deliveries falsely."""

    provider: str
    operator: str
    share: float = 0.3

    @classmethod
    def parse(cls, value: str) -> "FakeDeliveries":
        """`PROVIDER:OPERATOR[:SHARE]`, e.g. `smstake:JIO:0.3`."""
        parts = value.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValueError("expected PROVIDER:OPERATOR[:SHARE]")
        try:
            share = float(parts[2]) if len(parts) == 3 else 0.3
        except ValueError:
            raise ValueError("SHARE must be a number") from None
        if not 0 <= share <= 1:
            raise ValueError("SHARE must be between 0 and 1")
        return cls(parts[0].lower(), parts[1].upper(), share)


def conversions_simulate(
    sent: list[SentMessage],
    *,
    now: datetime,
    seed: int | None = None,
    fake: FakeDeliveries | None = None,
) -> list[dict[str, str]]:
    """The feedback an OTP service would post for `sent`: one item per converted journey
    (`client_ref`, `converted_at`), none for conversions still in the future."""
    rng = random.Random(None if seed is None else seed + 1)
    journeys: dict[str, list[SentMessage]] = {}
    for message in sent:
        journeys.setdefault(message.client_ref, []).append(message)
    items = []
    for ref, messages in journeys.items():
        rate = next((r for p, r in CONVERSION_RATES.items() if ref.startswith(p)), None)
        if rate is None:
            continue
        arrived = [m for m in messages if m.final in _DELIVERED and not _faked(m, fake, rng)]
        if not arrived or rng.random() >= rate:
            continue
        credited = arrived[-1]
        at = credited.done_at + timedelta(seconds=min(rng.lognormvariate(3, 0.8), 1800))
        if at > now:
            continue
        if credited.provider == "wavix":
            named = {"provider": "wavix", "message_id": credited.message_id}
        else:
            named = {"client_ref": ref}
        items.append({**named, "converted_at": at.isoformat()})
    return items


def _faked(message: SentMessage, fake: FakeDeliveries | None, rng: random.Random) -> bool:
    return (
        fake is not None
        and message.provider == fake.provider
        and message.operator == fake.operator
        and message.channel == "sms"
        and rng.random() < fake.share
    )
