from django.apps import AppConfig


class ForwardingConfig(AppConfig):
    name = "forwarding"
    verbose_name = "Forwarding"
    default_auto_field = "django.db.models.BigAutoField"
