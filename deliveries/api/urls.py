from django.urls import path
from rest_framework.routers import DefaultRouter

# The whole API is routed here; the webhook resources' viewsets live in webhooks/api.py
# because deliveries never depends on webhooks anywhere else.
from webhooks.api import InboundEventViewSet, WebhookEndpointViewSet

from . import compare, stats, views

router = DefaultRouter()
router.register("messages", views.MessageViewSet, basename="message")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("webhook-events", InboundEventViewSet, basename="webhook-event")
router.register("endpoints", WebhookEndpointViewSet, basename="endpoint")

urlpatterns = [
    *router.urls,
    # Statistics (deliveries/api/stats.py), read from the rollups.
    path("stats/", stats.StatsView.as_view(), name="stats"),
    path("campaigns/<str:pk>/stats/", stats.CampaignStatsView.as_view(), name="campaign-stats"),
    # Provider comparison and DLT drill-down (deliveries/api/compare.py).
    path("compare/", compare.CompareView.as_view(), name="compare"),
    path("dlt/", compare.DltView.as_view(), name="dlt"),
]
