"""HTML pages. The API lives in deliveries/api/urls.py."""

from django.urls import path  # noqa: F401

app_name = "deliveries"

urlpatterns: list = []
