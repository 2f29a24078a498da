"""HTML pages. The API lives in deliveries/api/urls.py."""

from django.urls import path

from .views import trace

app_name = "deliveries"

urlpatterns: list = [
    path("trace/", trace.trace_search, name="trace"),
    path("trace/message/<int:pk>/", trace.trace_message, name="trace-message"),
]
