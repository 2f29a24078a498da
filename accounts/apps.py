from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import zone_remember

        # Read the profile's zone once per login rather than on every page.
        user_logged_in.connect(zone_remember, dispatch_uid="accounts.zone_remember")
