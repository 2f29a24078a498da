from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dlrdash import ops

urlpatterns = [
    # First: the URL that takes the load is resolved without trying the others.
    path("webhooks/", include("webhooks.urls")),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("deliveries.urls")),
    path("alerts/", include("alerts.urls")),
    path("api/v1/", include("alerts.urls_api")),
    path("api/v1/", include("forwarding.urls_api")),
    path("api/v1/", include("deliveries.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
