"""HTML pages. The API lives in deliveries/api/urls.py."""

from django.urls import URLPattern, URLResolver, path

from .views import compare, dashboard, dlt, exports, trace

app_name = "deliveries"

urlpatterns: list[URLPattern | URLResolver] = [
    path("trace/", trace.trace_search, name="trace"),
    path("trace/message/<int:pk>/", trace.trace_message, name="trace-message"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export/messages.csv", exports.messages_csv, name="messages-csv"),
    path("dashboard/export/<str:group_by>.csv", exports.breakdown_csv, name="breakdown-csv"),
    path("campaigns/", dashboard.campaign_list, name="campaign-list"),
    path("campaigns/<int:pk>/", dashboard.campaign_detail, name="campaign-detail"),
    path("compare/", compare.compare, name="compare"),
    path("dlt/", dlt.dlt_page, name="dlt"),
]
