"""API routes, included under /api/v1/ before the deliveries API."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("alert-rules", api.AlertRuleViewSet, basename="alert-rule")
router.register("alerts", api.AlertViewSet, basename="alert")

urlpatterns = router.urls
