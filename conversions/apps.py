from django.apps import AppConfig


class ConversionsConfig(AppConfig):
    name = "conversions"
    verbose_name = "Conversions"
    default_auto_field = "django.db.models.BigAutoField"
