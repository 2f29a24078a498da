"""The trail itself: append-only, readable by Administrators in the admin and by nobody
else, kept for AUDIT_RETENTION_DAYS."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from webhooks import tasks
from webhooks.models import WebhookEndpoint

from ..factories import make_user

pytestmark = pytest.mark.django_db

TRAIL = "/admin/audit/auditentry/"


@pytest.fixture
def entry() -> AuditEntry:
    return audit_record(
        actor=make_user(username="ravi"),
        action="user.change",
        target=None,
        details={"changes": {"is_staff": [False, True]}},
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["Administrator", "superuser"])
def test_administrators_and_superusers_read_the_trail_but_cannot_change_it(entry, who):
    user = make_user(superuser=True) if who == "superuser" else make_user("Administrator")
    client = signed_in(user)

    listing = client.get(TRAIL)
    page = client.get(f"{TRAIL}{entry.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "user.change" in listing.content.decode()
    assert "is_staff" in page.content.decode()
    assert b'name="_save"' not in page.content  # no save button: read-only
    assert b"delete_selected" not in listing.content
    assert client.get(f"{TRAIL}add/").status_code == 403
    assert client.post(f"{TRAIL}{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"{TRAIL}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "user.change"


@pytest.mark.parametrize("role", ["Support", "Campaign manager"])
def test_other_roles_cannot_read_the_trail(entry, role):
    assert signed_in(make_user(role)).get(TRAIL).status_code == 403


def test_an_entry_cannot_be_changed_or_deleted_in_code(entry):
    entry.action = "nothing.happened"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.action == "user.change"


def test_the_daily_prune_deletes_entries_past_the_retention(entry, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    recent = audit_record(actor=None, action="endpoint.change", target=None, details={})
    AuditEntry.objects.filter(pk=entry.pk).update(at=timezone.now() - timedelta(days=31))

    assert tasks.prune()["audit_entries_deleted"] == 1
    assert list(AuditEntry.objects.all()) == [recent]


def test_a_deleted_user_s_entries_keep_their_name(entry):
    User.objects.filter(username="ravi").delete()

    entry.refresh_from_db()
    assert (entry.actor, entry.actor_username) == (None, "ravi")


def test_any_change_can_be_recorded_with_the_service(rf):
    """What a feature without an admin (a subscription, say) calls."""
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    request.user = make_user(username="meera")
    endpoint = WebhookEndpoint.objects.create(provider="smstake", slug="acme", secrets=["s"])

    recorded = audit_record(
        actor=None,  # the request's user
        action="subscription.change",
        target=endpoint,
        details={"changes": {"active": [True, False]}},
        request=request,
    )

    assert (recorded.actor_username, recorded.remote_addr) == ("meera", "203.0.113.9")
    assert (recorded.object_type, recorded.object_repr) == (
        "webhooks.webhookendpoint",
        "acme (smstake)",
    )
