import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from billing.demo import demo_rates_ensure
from deliveries.models import Message
from digests.models import DigestSubscription


class Command(BaseCommand):
    help = (
        "Local demo: an admin user (password printed), SMSTAKE and Wavix endpoints, and "
        "simulated traffic if the database has no messages yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=2000)
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        user = user_model.objects.filter(username=options["username"]).first()
        if user is None:
            user = user_model(username=options["username"], email="admin@example.com")
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        for username, role in (("support", "Support"), ("manager", "Campaign manager")):
            member = user_model.objects.filter(username=username).first() or user_model(
                username=username, email=f"{username}@example.com"
            )
            member.is_staff = member.is_active = True  # the admin's login serves every page
            member.set_password(password)
            member.save()
            member.groups.add(Group.objects.get(name=role))
        # A daily digest for the campaign manager (`manage.py send_digest --user manager`).
        DigestSubscription.objects.get_or_create(
            user=user_model.objects.get(username="manager"),
            frequency=DigestSubscription.Frequency.DAILY,
        )
        if not Message.objects.exists():
            # Before the traffic: messages are priced as their reports are applied.
            demo_rates_ensure()
            # Conversion feedback too, and one route (smstake to JIO) faking 30 % of its
            # SMS deliveries, for /compare/'s DLR trust check to find; Infobip, the other
            # provider reporting operators, carries half the SMS so the route has peers.
            call_command(
                "simulate",
                messages=options["messages"],
                seed=42,
                infobip_share=0.5,
                conversions=True,
                fake_deliveries="smstake:JIO:0.3",
            )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("dlrdash is ready on http://127.0.0.1:8000/admin/"))
        self.stdout.write(f"  user: {user.get_username()}   password: {password}")
        self.stdout.write("  also: support (Support), manager (Campaign manager), same password")
        self.stdout.write("  (a new password is set each time `make run` starts)")
