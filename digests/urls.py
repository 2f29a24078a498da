from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [path("", views.digest_settings, name="settings")]
