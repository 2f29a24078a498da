"""Who exported what: each CSV download, its filters and its row count, recorded when the
last row is out (or when the download stopped)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import StreamingHttpResponse
from django.test import Client

from audit.models import AuditEntry
from deliveries.models import Message
from deliveries.views.exports import messages_csv

from ..factories import make_user
from ..support import smstake_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(post_smstake) -> None:
    for n, operator in enumerate(["JIO", "JIO", "AIRTEL"]):
        post_smstake(smstake_report(message_id=f"msg_{n}", operator=operator))


def manager(*, full_phone: bool = False) -> Client:
    user = make_user("Campaign manager", username="meera")
    if full_phone:
        user.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    client = Client()
    client.force_login(user)
    return client


def exports() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="export.csv").order_by("pk"))


def test_a_message_export_records_its_filters_and_rows_once_it_is_downloaded(messages):
    response = manager().get(
        "/dashboard/export/messages.csv", {"operator": "jio", "phone": "098765 43210"}
    )
    assert exports() == []  # nothing sent yet: the rows stream after the view returns

    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # the stubs omit it

    [entry] = exports()
    assert entry.actor_username == "meera"
    assert entry.object_type == "deliveries.message"
    assert entry.details == {
        "export": "messages",
        # A number searched for is kept masked, like everywhere else.
        "filters": {"operator": "jio", "phone": "+91 98••••3210"},
        "rows": 2,
        "complete": True,
        "full_phone": False,
    }


def test_an_export_with_full_numbers_says_so(messages):
    response = manager(full_phone=True).get("/dashboard/export/messages.csv")
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # the stubs omit it

    [entry] = exports()
    assert entry.details["full_phone"] is True
    assert entry.details["rows"] == Message.objects.count() == 3


def test_a_download_cut_short_records_the_rows_that_went_out(messages, rf):
    # The view itself, as the WSGI server meets its response (the test client would wrap it).
    request = rf.get("/dashboard/export/messages.csv")
    request.user = make_user("Campaign manager", username="meera")
    response = messages_csv(request)
    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response)
    next(chunks)  # the header
    sent = next(chunks).count(b"\n")  # the first chunk of rows

    # The client went away: the server closes the response. (Not the connection, as a
    # finished request would: the test's transaction is still open.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    [entry] = exports()
    assert sent >= 1
    assert (entry.details["rows"], entry.details["complete"]) == (sent, False)


def test_a_breakdown_export_is_recorded_with_its_range(messages):
    window = {"range": "custom", "since": "2026-06-29T00:00", "until": "2026-07-01T00:00"}
    response = manager().get("/dashboard/export/operator.csv", window)
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # the stubs omit it

    [entry] = exports()
    assert entry.details == {
        "export": "breakdown:operator",
        "filters": window,
        "rows": 2,
        "complete": True,
        "full_phone": False,
    }


def test_a_refused_export_records_nothing(messages):
    response = manager().get("/dashboard/export/messages.csv", {"created_after": "soon"})

    assert response.status_code == 400
    assert exports() == []
