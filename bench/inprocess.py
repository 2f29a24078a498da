"""The in-process Django test client and the timer the page phases (analytics, trace, ranges,
support, costs) share."""

import time
from collections.abc import Callable
from typing import Any


def _timed(fn: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _client(role: str = "") -> Any:
    """A test client signed in as a superuser, or as a staff member in `role` (a group)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    # With DEBUG off the pages need the static files' manifest; the ingest phase's server
    # collects them, but a run of the page phases alone (BENCH_PHASES) must too.
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)

    user, _ = get_user_model().objects.get_or_create(
        username=f"bench {role}".strip(), defaults={"is_staff": True, "is_superuser": not role}
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client
