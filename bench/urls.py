"""The project's URLs plus the two baselines every ingest figure is compared with."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/ok/", views.bare_ok),
    path("bench/verify-insert/", views.bare_verify_insert),
    path("", include("dlrdash.urls")),
]
