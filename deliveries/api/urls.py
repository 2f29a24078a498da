from django.urls import path
from rest_framework.routers import DefaultRouter

from . import stats, views

router = DefaultRouter()
router.register("messages", views.MessageViewSet, basename="message")

urlpatterns = router.urls

# Statistics (deliveries/api/stats.py): plain paths after the router's.
urlpatterns += [
    path("stats/", stats.StatsView.as_view(), name="stats"),
    path("campaigns/<int:pk>/stats/", stats.CampaignStatsView.as_view(), name="campaign-stats"),
]
