"""The deliveries API under /api/v1/.

Its viewsets are listed in `viewsets`: the project's URLconf (dlrdash/urls.py) registers
them on the API's one router together with the webhooks app's, so the API root lists both
and this app never imports webhooks.
"""

from django.urls import path
from rest_framework.viewsets import ViewSetMixin

from . import compare, stats, views

# (URL prefix, viewset, basename) for the project's API router.
viewsets: tuple[tuple[str, type[ViewSetMixin], str], ...] = (
    ("messages", views.MessageViewSet, "message"),
    ("campaigns", views.CampaignViewSet, "campaign"),
)

urlpatterns = [
    # Statistics (deliveries/api/stats.py), read from the rollups.
    path("stats/", stats.StatsView.as_view(), name="stats"),
    path("campaigns/<str:pk>/stats/", stats.CampaignStatsView.as_view(), name="campaign-stats"),
    # Provider comparison and DLT drill-down (deliveries/api/compare.py).
    path("compare/", compare.CompareView.as_view(), name="compare"),
    path("dlt/", compare.DltView.as_view(), name="dlt"),
]
