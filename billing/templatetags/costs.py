"""The cost card of the dashboard and campaign pages: `{% cost_card %}`, shown only to the
people who may see costs (`deliveries.roles.can_view_costs`)."""

from decimal import Decimal
from typing import Any

from django import template

from deliveries.roles import can_view_costs

from ..selectors import spend_totals

register = template.Library()


@register.inclusion_tag("billing/cost_card.html", takes_context=True)
def cost_card(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    chosen = context.get("slice")
    if request is None or chosen is None or not can_view_costs(request.user):
        return {"shown": False}
    return {"shown": True, "totals": spend_totals(slice=chosen), "query": chosen.query()}


@register.filter
def money(value: Decimal | None, places: int = 4) -> str:
    """An amount with at most `places` decimals, trailing zeros kept to two ("0.0040")."""
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


@register.filter
def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@register.filter
def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
