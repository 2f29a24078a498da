import getpass
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.services import audit_record
from deliveries.reports import ENVIRONMENT_CHOICES, Environment
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
        parser.add_argument(
            "--base-url",
            default="",
            help="Where providers reach this server, e.g. https://dlr.example.com "
            "(default: the PUBLIC_BASE_URL setting).",
        )
        parser.add_argument(
            "--mapping",
            default="",
            help="custom only: a JSON file with the mapping (docs/custom-adapter.md); "
            "without it the mapping is set in the admin.",
        )
        parser.add_argument(
            "--environment",
            choices=[value for value, _ in ENVIRONMENT_CHOICES],
            default=Environment.LIVE.value,
            help="live (the default) or sandbox: sandbox traffic is traced but kept out "
            "of the dashboard, campaign figures and alerts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secrets = [s for s in options["secret"] if s]
        if not secrets:
            raise CommandError("--secret must not be empty")
        endpoint = WebhookEndpoint.objects.filter(slug=options["slug"]).first()
        created = endpoint is None
        endpoint = endpoint or WebhookEndpoint(slug=options["slug"])
        before = {
            "provider": endpoint.provider,
            "active": endpoint.active,
            "environment": endpoint.environment,
        }
        secrets_before = list(endpoint.secrets)
        endpoint.provider = options["provider"]
        if options["mapping"]:
            if endpoint.provider != "custom":
                raise CommandError("--mapping is for the custom provider only")
            endpoint.mapping = _mapping_read(options["mapping"])
        endpoint.secrets = secrets
        endpoint.active = True
        endpoint.environment = options["environment"]
        try:
            endpoint.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        with transaction.atomic():
            endpoint.save()
            _audit(endpoint, created=created, before=before, secrets_before=secrets_before)
        base_url = options["base_url"] or settings.PUBLIC_BASE_URL
        if not base_url:
            base_url = "http://127.0.0.1:8000"
            self.stderr.write(
                "No --base-url and no PUBLIC_BASE_URL: the URL below is the local demo's; "
                "set PUBLIC_BASE_URL to the address providers reach."
            )
        url = base_url.rstrip("/") + endpoint.get_absolute_url()
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} {endpoint.provider} endpoint '{endpoint.slug}' ({endpoint.environment})."
        )
        self.stdout.write(f"Paste this URL into the provider's dashboard: {url}")
        help_text = endpoint.provider_adapter().setup_help
        if help_text:
            self.stdout.write(help_text)


def _audit(
    endpoint: WebhookEndpoint, *, created: bool, before: dict[str, Any], secrets_before: list[str]
) -> None:
    """The audit trail's entries for what this run changed; the actor is the system account
    that ran it (there is no dlrdash user on a command line)."""
    via = {"command": "create_endpoint", "os_user": _os_user()}
    after = {
        "provider": endpoint.provider,
        "active": endpoint.active,
        "environment": endpoint.environment,
    }
    if created:
        entries = [("endpoint.create", {"values": after, "secrets": ["secrets"]})]
    else:
        changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
        entries = [("endpoint.change", {"changes": changes})] if changes else []
        if endpoint.secrets != secrets_before:
            counts = {"before": len(secrets_before), "after": len(endpoint.secrets)}
            entries.append(("endpoint.secret_change", {"secrets": {"secrets": counts}}))
    for action, details in entries:
        audit_record(actor=None, action=action, target=endpoint, details={**details, **via})


def _mapping_read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            mapping = json.load(file)
    except (OSError, ValueError) as exc:
        raise CommandError(f"--mapping {path}: {exc}") from None
    if not isinstance(mapping, dict):
        raise CommandError(f"--mapping {path}: expected a JSON object")
    return mapping


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a container)
        return ""
