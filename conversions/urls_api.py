"""API routes, included under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [path("conversions/", api.ConversionsView.as_view(), name="conversions")]
