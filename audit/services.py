"""Writing and pruning the audit trail.

Callers name what happened with a dotted action, `<what>.<verb>`:
- `phone.view`: full phone numbers were shown (`deliveries.masking.full_phone_view_record`);
- `export.csv`: a CSV download, with its filters and row count;
- `<model>.create`, `.change`, `.delete`, `.secret_change`: admin and command changes to
  endpoints, users and roles (groups); `user.password_change`.
Details never hold a secret, a password or a full phone number.
"""

import ipaddress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEntry

Actor = User | AnonymousUser | None
Target = models.Model | type[models.Model] | None


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: Target,
    details: dict[str, Any],
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry. `actor` None: the request's user, or the system (a command).

    `target` is the object acted on, a model class for "these objects" (an export), or None.
    """
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    user = actor if actor is not None and actor.is_authenticated else None
    object_type = object_id = object_repr = ""
    if isinstance(target, models.Model):
        object_type = target._meta.label_lower
        object_id = "" if target.pk is None else str(target.pk)
        object_repr = str(target)[:200]
    elif isinstance(target, type) and issubclass(target, models.Model):
        object_type = target._meta.label_lower
    return AuditEntry.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_repr,
        details=details,
        remote_addr=_remote_addr(request),
    )


def _remote_addr(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # The address the login lockout uses too: X-Forwarded-For only from trusted proxies.
    from webhooks.receiving import client_address  # webhooks imports deliveries, which uses us

    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Retention: delete entries older than AUDIT_RETENTION_DAYS, in batches."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    total = 0
    while ids := list(
        AuditEntry.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:batch_size]
    ):
        # A queryset delete: AuditEntry.delete() refuses, so nothing else can remove one.
        total += AuditEntry.objects.filter(pk__in=ids).delete()[0]
    return total
