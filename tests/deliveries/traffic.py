"""Simulated traffic applied straight through the adapters and `reports_apply` (no HTTP)."""

from datetime import datetime
from typing import Any

from deliveries.models import Campaign
from deliveries.services import reports_apply
from webhooks.providers import InboundRequest, get_provider
from webhooks.simulation import CAMPAIGNS, TrafficGenerator


def traffic_apply(
    *,
    messages: int,
    seed: int,
    now: datetime,
    batch: int = 40,
    spread_hours: float = 72,
    **options: Any,
) -> None:
    """Parse the generator's requests with the real adapters and apply them in order.

    `options` go to `TrafficGenerator` (e.g. `infobip_share`, `degrade`).
    """
    for name, prefix in CAMPAIGNS:
        Campaign.objects.get_or_create(ref_prefix=prefix, defaults={"name": name})
    generator = TrafficGenerator(seed=seed, now=now, spread_hours=spread_hours, **options)
    items = []
    for simulated in generator.requests(messages):
        request = InboundRequest(
            method="POST",
            url=f"https://dlrdash.test/webhooks/{simulated.provider}/",
            headers={"content-type": "application/json"},
            body=simulated.body,
        )
        items += [(r, None) for r in get_provider(simulated.provider).parse(request)]
    for start in range(0, len(items), batch):
        reports_apply(items=items[start : start + batch], now=now)
