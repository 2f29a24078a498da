import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from alerts.models import Alert, AlertRule
from alerts.services import rules_evaluate
from billing.demo import demo_rates_ensure
from deliveries.models import Message
from digests.models import DigestSubscription
from webhooks.models import WebhookEndpoint

# The demo's endpoints, the ones `simulate` posts to.
DEMO_ENDPOINTS = (("smstake", "smstake"), ("wavix", "wavix"), ("infobip", "infobip"))
# The incident the demo shows: Infobip's deliveries on Airtel collapse (mostly DLT
# template rejects) in the last half hour of a busy last hour, and a rule that watches
# that segment fires on it.
DEMO_DEGRADE = "infobip:AIRTEL:30:0.3"
DEMO_RULE = "Infobip on Airtel: delivery rate drop"
# Messages in that last hour: enough Infobip/Airtel reports in the rule's window to judge.
DEMO_LAST_HOUR = 400
# The route that fakes deliveries (provider:operator:share), for the DLR trust check.
DEMO_FAKE_DELIVERIES = "smstake:JIO:0.3"


class Command(BaseCommand):
    help = (
        "Local demo: an admin user and two role users (password printed), the SMSTAKE, Wavix "
        "and Infobip endpoints (URLs and secrets printed), simulated traffic if the database "
        "has no messages yet, and an alert rule the simulated Infobip/Airtel collapse trips."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=3000)
        parser.add_argument(
            "--last-hour-messages",
            type=int,
            default=DEMO_LAST_HOUR,
            help="Messages in the busy last hour in which the collapse happens.",
        )
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--base-url",
            default="",
            help="Where the demo is served, for the printed URLs "
            "(default: PUBLIC_BASE_URL, else http://127.0.0.1:8000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = (
            options["base_url"] or settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000"
        ).rstrip("/")
        password = secrets.token_urlsafe(12)
        user = _users(options["username"], password)
        endpoints = [_endpoint(provider, slug) for provider, slug in DEMO_ENDPOINTS]
        if not Message.objects.exists():
            # Before the traffic: messages are priced as their reports are applied.
            demo_rates_ensure()
            # Two days of traffic, then a busy last hour in which the collapse happens; both
            # replayed so every row is dated when it would have arrived. Conversion feedback
            # too, with one route (smstake to JIO) faking 30 % of its SMS deliveries for
            # /compare/'s DLR trust check to find; Infobip, the other provider reporting
            # operators, carries half the SMS so the route has peers.
            verbosity = options["verbosity"]
            call_command(
                "simulate",
                messages=options["messages"],
                seed=42,
                infobip_share=0.5,
                conversions=True,
                fake_deliveries=DEMO_FAKE_DELIVERIES,
                replay=True,
                verbosity=verbosity,
            )
            call_command(
                "simulate",
                messages=options["last_hour_messages"],
                seed=43,
                hours=1,
                infobip_share=0.5,
                degrade=DEMO_DEGRADE,
                conversions=True,
                fake_deliveries=DEMO_FAKE_DELIVERIES,
                replay=True,
                verbosity=verbosity,
            )
        _rule()
        rules_evaluate()
        firing = Alert.objects.filter(resolved_at__isnull=True).count()

        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"dlrdash is ready on {base_url}/"))
        out.write(f"  user: {user.get_username()}   password: {password}")
        out.write("  also: support (Support), manager (Campaign manager), same password")
        out.write("  (a new password is set each time `make run` starts)")
        out.write(f"  alerts: {firing} open on {base_url}/alerts/ (rule “{DEMO_RULE}”)")
        out.write("  webhook endpoints (demo secrets, stored in this database only):")
        for endpoint in endpoints:
            url = base_url + endpoint.get_absolute_url()
            out.write(f"    {endpoint.provider:<8} {url}   secret: {endpoint.secrets[0]}")


def _users(username: str, password: str) -> Any:
    """The admin and one user per role, all with `password`; the manager gets a daily
    digest (`manage.py send_digest --user manager`)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, email="admin@example.com")
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    for name, role in (("support", "Support"), ("manager", "Campaign manager")):
        member = user_model.objects.filter(username=name).first() or user_model(
            username=name, email=f"{name}@example.com"
        )
        member.is_staff = member.is_active = True  # the admin's login serves every page
        member.set_password(password)
        member.save()
        member.groups.add(Group.objects.get(name=role))
    DigestSubscription.objects.get_or_create(
        user=user_model.objects.get(username="manager"),
        frequency=DigestSubscription.Frequency.DAILY,
    )
    return user


def _endpoint(provider: str, slug: str) -> WebhookEndpoint:
    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        slug=slug, defaults={"provider": provider, "secrets": [secrets.token_urlsafe(24)]}
    )
    return endpoint


def _rule() -> AlertRule:
    rule, _ = AlertRule.objects.get_or_create(
        name=DEMO_RULE,
        defaults={
            "kind": AlertRule.Kind.RATE_DROP,
            "provider": "infobip",
            "operator": "AIRTEL",
            "window_minutes": 30,
            "baseline_days": 7,
            "min_volume": 10,
            "threshold_points": 10.0,
        },
    )
    return rule
