from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("costs/", views.costs, name="costs"),
    path("costs/export/<str:by>.csv", views.costs_csv, name="costs-csv"),
    path(
        "costs/reconciliation/<str:provider>/<str:month>/",
        views.reconciliation_report,
        name="reconciliation",
    ),
    path(
        "costs/reconciliation/<str:provider>/<str:month>/<str:name>.csv",
        views.reconciliation_csv,
        name="reconciliation-csv",
    ),
]
