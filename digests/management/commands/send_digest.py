"""Send one digest now, for testing: `manage.py send_digest --user manager`.

Covers the day (or week) up to now, whatever the subscription's hour and condition, and is
not recorded (the scheduled one still goes out). Without an e-mail address on the user, or
with `--print`, the plain-text part is printed instead of sent.
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from digests.compose import digest_compose
from digests.models import DigestSubscription
from digests.services import condition_holds, digest_message


class Command(BaseCommand):
    help = "Send (or print) one digest for a user now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username.")
        parser.add_argument("--frequency", choices=["daily", "weekly"], default="daily")
        # Not `--stdout`: BaseCommand takes that option name for its output stream.
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="Print, do not send."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        frequency = options["frequency"]
        sub = DigestSubscription.objects.filter(user=user, frequency=frequency).first()
        sub = sub or DigestSubscription(user=user, frequency=frequency)
        now = timezone.now()
        days = 7 if frequency == DigestSubscription.Frequency.WEEKLY else 1
        digest = digest_compose(user=user, since=now - timedelta(days=days), until=now, now=now)
        if not condition_holds(digest, sub.condition):
            self.stderr.write(f"(Its condition, {sub.get_condition_display()!r}, is false now.)")
        message = digest_message(sub, digest, to=[user.email] if user.email else [])
        if options["print_only"] or not user.email:
            self.stdout.write(f"Subject: {message.subject}\n\n{message.body}")
            return
        message.send()
        self.stdout.write(f"Sent to {user.email}.")
