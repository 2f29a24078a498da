from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from webhooks.models import WebhookEndpoint
from webhooks.providers import PROVIDERS


class Command(BaseCommand):
    help = (
        "Create or update a webhook endpoint. Idempotent: re-running replaces the secret; "
        "two --secret values keep both (for rotation)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
        parser.add_argument("--slug", required=True)
        parser.add_argument(
            "--secret", action="append", required=True, help="Repeat to keep several."
        )
        parser.add_argument("--base-url", default="", help="e.g. https://dlr.example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        secrets = [s for s in options["secret"] if s]
        if not secrets:
            raise CommandError("--secret must not be empty")
        endpoint = WebhookEndpoint.objects.filter(slug=options["slug"]).first()
        created = endpoint is None
        endpoint = endpoint or WebhookEndpoint(slug=options["slug"])
        endpoint.provider = options["provider"]
        endpoint.secrets = secrets
        endpoint.active = True
        try:
            endpoint.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        endpoint.save()
        url = options["base_url"].rstrip("/") + endpoint.get_absolute_url()
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {endpoint.provider} endpoint '{endpoint.slug}'.")
        self.stdout.write(f"Paste this URL into the provider's dashboard: {url}")
        help_text = endpoint.provider_adapter().setup_help
        if help_text:
            self.stdout.write(help_text)
