"""API routes, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("subscriptions", api.SubscriptionViewSet, basename="subscription")

urlpatterns = router.urls
