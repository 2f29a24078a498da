from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from deliveries.api import urls as deliveries_api
from dlrdash import ops
from webhooks import urls_api as webhooks_api

# One router for both apps' viewsets: the API root lists them all, and neither app has to
# import the other to be listed there.
api_router = DefaultRouter()
for prefix, viewset, basename in (*deliveries_api.viewsets, *webhooks_api.viewsets):
    api_router.register(prefix, viewset, basename=basename)

# The admin's app list as a sidebar on every page takes a fifth of a 1440 px screen from
# the lists people come for (messages, the webhook log); the index page lists the apps.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    # First: the URL that takes the load is resolved without trying the others.
    path("webhooks/", include("webhooks.urls")),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("deliveries.urls")),
    path("", include("billing.urls")),
    path("alerts/", include("alerts.urls")),
    path("digests/", include("digests.urls")),
    path("api/v1/", include("alerts.urls_api")),
    path("api/v1/", include("forwarding.urls_api")),
    path("api/v1/", include("conversions.urls_api")),
    path("api/v1/", include(api_router.urls)),
    path("api/v1/", include("deliveries.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
