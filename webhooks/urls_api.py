"""The webhook log and endpoints under /api/v1/: registered by the project's URLconf
(dlrdash/urls.py) on the API's one router, after the deliveries API's viewsets."""

from rest_framework.viewsets import ViewSetMixin

from .api import InboundEventViewSet, WebhookEndpointViewSet

# (URL prefix, viewset, basename) for the project's API router.
viewsets: tuple[tuple[str, type[ViewSetMixin], str], ...] = (
    ("webhook-events", InboundEventViewSet, "webhook-event"),
    ("endpoints", WebhookEndpointViewSet, "endpoint"),
)
