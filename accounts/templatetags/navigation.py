from typing import Any

from django import template

from ..navigation import NavLink, nav_links

register = template.Library()


@register.simple_tag(takes_context=True)
def top_bar_links(context: template.Context) -> list[NavLink]:
    """The viewer's links; none where there is no request (the 500 page renders without
    one, so that it needs neither the database nor a context processor)."""
    request: Any = context.get("request")
    if request is None or not hasattr(request, "user"):
        return []
    return nav_links(request.user)
