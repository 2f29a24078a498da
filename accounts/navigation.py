"""Where each role starts, and the top bar's links: only those the viewer can open.

Who may open what is decided by `deliveries.roles`; this module only lists the pages.
"""

from dataclasses import dataclass

from django.urls import reverse

from deliveries.roles import User, can_trace_messages, can_view_costs, can_view_dashboard


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str


def nav_links(user: User) -> list[NavLink]:
    """The top bar for `user`: nothing for someone signed out."""
    if not user.is_authenticated:
        return []
    links: list[NavLink] = []
    if can_view_dashboard(user):
        links += [
            NavLink("Dashboard", reverse("deliveries:dashboard")),
            NavLink("Campaigns", reverse("deliveries:campaign-list")),
            NavLink("Compare", reverse("deliveries:compare")),
            NavLink("DLT", reverse("deliveries:dlt")),
            NavLink("Alerts", reverse("alerts:list")),
        ]
    if can_view_costs(user):
        links.append(NavLink("Costs", reverse("billing:costs")))
    if can_trace_messages(user):
        links.append(NavLink("Trace", reverse("deliveries:trace")))
    if user.is_staff:  # the admin's login admits staff only
        links.append(NavLink("Admin", reverse("admin:index")))
    links.append(NavLink("Digests", reverse("digests:settings")))
    links.append(NavLink("API", reverse("api-docs")))
    return links


def home_url(user: User) -> str:
    """The page a role starts on: the dashboard for campaign managers and administrators,
    the trace search for support, the admin for other staff."""
    if can_view_dashboard(user):
        return reverse("deliveries:dashboard")
    if can_trace_messages(user):
        return reverse("deliveries:trace")
    if user.is_authenticated and user.is_staff:
        return reverse("admin:index")
    return reverse("accounts:profile")
