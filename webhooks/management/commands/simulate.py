import secrets
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from tqdm import tqdm

from deliveries.models import Campaign
from deliveries.registration import messages_register
from webhooks.inbox import inbox_drain
from webhooks.models import WebhookEndpoint
from webhooks.simulation import (
    CAMPAIGNS,
    Degradation,
    SimulatedRegistration,
    SimulatedRequest,
    TrafficGenerator,
    clock_at,
    smstake_signature,
)
from webhooks.simulation_conversions import FakeDeliveries, conversions_simulate

# The conversions API takes at most this many per call.
CONVERSION_BATCH = 1000

Sender = Callable[[WebhookEndpoint, SimulatedRequest], int]


class Command(BaseCommand):
    help = (
        "Generate realistic SMSTAKE, Wavix and Infobip DLR traffic and post it, signed, "
        "through the real receiving view (or over HTTP to a running server with --url)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=1000)
        parser.add_argument("--url", default="", help="e.g. http://127.0.0.1:8000")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--smstake-slug", default="smstake")
        parser.add_argument("--wavix-slug", default="wavix")
        parser.add_argument("--infobip-slug", default="infobip")
        parser.add_argument("--hours", type=float, default=48, help="Spread over this many hours.")
        parser.add_argument(
            "--infobip-share",
            type=float,
            default=0.3,
            help="Share of SMS sent through Infobip, which reports the operator (0 to 1).",
        )
        parser.add_argument(
            "--replay",
            action="store_true",
            help=(
                "Date everything as if the traffic had arrived live over the window: each "
                "report is received and processed at its own time, in this process, and Wavix "
                "messages are registered at their submit time as the sending service would "
                "(not with --url)."
            ),
        )
        parser.add_argument(
            "--degrade",
            default="",
            metavar="PROVIDER:OPERATOR:MINUTES[:RATE]",
            help=(
                "Make PROVIDER's deliveries on OPERATOR fail (mostly DLT template rejects) "
                "during the last MINUTES of the window, delivering at RATE (default 0.7); "
                "e.g. infobip:AIRTEL:30:0.7."
            ),
        )

        parser.add_argument(
            "--conversions",
            action="store_true",
            help="Then post the conversion feedback an OTP service would send (OTPs verified, "
            "links opened) to /api/v1/conversions/, signed in as a superuser.",
        )
        parser.add_argument(
            "--fake-deliveries",
            default="",
            metavar="PROVIDER:OPERATOR[:SHARE]",
            help="With --conversions: SHARE (default 0.3) of PROVIDER's SMS deliveries on "
            "OPERATOR are fake (reported delivered, never arrived, never converted); "
            "e.g. smstake:JIO:0.4.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["messages"] < 1:
            raise CommandError("--messages must be at least 1")
        if not 0 <= options["infobip_share"] <= 1:
            raise CommandError("--infobip-share must be between 0 and 1")
        try:
            degrade = Degradation.parse(options["degrade"]) if options["degrade"] else None
        except ValueError as exc:
            raise CommandError(f"--degrade: {exc}") from None
        try:
            fake = (
                FakeDeliveries.parse(options["fake_deliveries"])
                if options["fake_deliveries"]
                else None
            )
        except ValueError as exc:
            raise CommandError(f"--fake-deliveries: {exc}") from None
        if options["conversions"] and options["url"]:
            raise CommandError("--conversions posts in-process only, without --url")
        endpoints = {
            "smstake": _endpoint("smstake", options["smstake_slug"]),
            "wavix": _endpoint("wavix", options["wavix_slug"]),
            "infobip": _endpoint("infobip", options["infobip_slug"]),
        }
        if options["replay"] and options["url"]:
            raise CommandError("--replay dates rows in this process's database: not with --url")
        if degrade and degrade.provider not in endpoints:
            raise CommandError(f"--degrade: the simulation sends no {degrade.provider} traffic")
        for name, prefix in CAMPAIGNS:
            Campaign.objects.get_or_create(ref_prefix=prefix, defaults={"name": name})
        generator = TrafficGenerator(
            seed=options["seed"],
            spread_hours=options["hours"],
            infobip_share=options["infobip_share"],
            degrade=degrade,
        )
        requests = generator.requests(options["messages"])
        send = _http_sender(options["url"]) if options["url"] else _client_sender()
        steps: list[SimulatedRequest | SimulatedRegistration] = list(requests)
        if options["replay"]:
            steps = sorted([*requests, *generator.registrations], key=lambda step: step.when)
        codes: dict[int, int] = {}
        for step in tqdm(steps, desc="DLRs", unit="req", disable=options["verbosity"] < 1):
            if isinstance(step, SimulatedRegistration):
                with clock_at(step.when):
                    messages_register(rows=[step.row])
                continue
            if options["replay"]:
                # Processed here and now, whatever carries tasks, so the rows it writes are
                # dated too (inline processing has already done it: this finds nothing).
                with clock_at(step.when):
                    code = send(endpoints[step.provider], step)
                    inbox_drain()
            else:
                code = send(endpoints[step.provider], step)
            codes[code] = codes.get(code, 0) + 1
        summary = ", ".join(f"{count} × {code}" for code, count in sorted(codes.items()))
        self.stdout.write(
            f"Sent {len(requests)} reports for {options['messages']} messages: {summary}"
        )
        if any(code >= 300 for code in codes):
            raise CommandError("some reports were not accepted")
        if options["conversions"]:
            items = conversions_simulate(
                generator.sent, now=generator.now, seed=options["seed"], fake=fake
            )
            self._conversions_post(items)

    def _conversions_post(self, items: list[dict[str, str]]) -> None:
        """Through the real API, as the OTP service would, in batches."""
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if admin is None:
            raise CommandError("--conversions needs a superuser to post as")
        client = Client(HTTP_HOST=_allowed_host())
        client.force_login(admin)
        for start in range(0, len(items), CONVERSION_BATCH):
            response = client.post(
                "/api/v1/conversions/",
                data=items[start : start + CONVERSION_BATCH],
                content_type="application/json",
                secure=True,
            )
            if response.status_code >= 300:
                raise CommandError(f"conversions refused: {response.status_code}")
        self.stdout.write(f"Posted {len(items)} conversions")


def _endpoint(provider: str, slug: str) -> WebhookEndpoint:
    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        slug=slug, defaults={"provider": provider, "secrets": [secrets.token_urlsafe(24)]}
    )
    if endpoint.provider != provider or not endpoint.secrets:
        raise CommandError(f"endpoint '{slug}' is not a usable {provider} endpoint")
    return endpoint


def _headers(endpoint: WebhookEndpoint, request: SimulatedRequest) -> dict[str, str]:
    secret = endpoint.secrets[0]
    headers = {"Content-Type": "application/json"}
    if endpoint.provider == "smstake":
        headers["X-SMSTAKE-Signature"] = smstake_signature(secret, request.body)
    else:
        # Wavix and Infobip: the secret as the basic-auth password.
        user = endpoint.provider
        headers["Authorization"] = "Basic " + b64encode(f"{user}:{secret}".encode()).decode()
    return headers


def _client_sender() -> Sender:
    # Sent as a provider's request arrives in production: over HTTPS (with DEBUG off, plain
    # HTTP is redirected) and to a host the settings allow.
    client = Client(HTTP_HOST=_allowed_host())

    def send(endpoint: WebhookEndpoint, request: SimulatedRequest) -> int:
        headers = _headers(endpoint, request)
        response = client.post(
            endpoint.get_absolute_url(),
            data=request.body,
            content_type=headers.pop("Content-Type"),
            headers=headers,
            secure=True,
        )
        return response.status_code

    return send


def _allowed_host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")  # ".example.com" allows example.com itself
    return "127.0.0.1"  # none, or any: DEBUG allows this one


def _http_sender(base_url: str) -> Sender:
    if not base_url.startswith(("http://", "https://")):
        raise CommandError("--url must start with http:// or https://")

    def send(endpoint: WebhookEndpoint, request: SimulatedRequest) -> int:
        http_request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            base_url.rstrip("/") + endpoint.get_absolute_url(),
            data=request.body,
            headers=_headers(endpoint, request),
            method="POST",
        )
        try:
            with urllib.request.urlopen(http_request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    return send
