"""Celery application. Without CELERY_BROKER_URL tasks run inline (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlrdash.settings")

app = Celery("dlrdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
