"""/trace/: support finds a message by any identifier and reads its whole story."""

import pytest
from django.test import Client

from deliveries.models import Message
from deliveries.selectors import message_search

from ..factories import make_user
from ..helpers import fixture_bytes
from ..support import smstake_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client: Client) -> Client:
    client.force_login(make_user("Support"))
    return client


@pytest.fixture
def delivered(post_smstake) -> Message:
    """SMSTAKE's documented sample: msg_8f3k2j9x1m to +919876543210, client_ref order_ORD2847."""
    post_smstake(fixture_bytes("smstake", "delivered.json"))
    return Message.objects.get(message_id="msg_8f3k2j9x1m")


@pytest.mark.parametrize(
    "query",
    ["+919876543210", "919876543210", "09876543210", "98765 43210", "+91 98765-43210"],
)
def test_a_phone_number_in_any_format_opens_its_message(support, delivered, query):
    response = support.get("/trace/", {"q": query})

    assert response.status_code == 302
    assert response.url == f"/trace/message/{delivered.pk}/"


@pytest.mark.parametrize("query", ["msg_8f3k2j9x1m", "order_ORD2847", "  msg_8f3k2j9x1m  "])
def test_a_message_id_or_client_ref_opens_its_message(support, delivered, query):
    response = support.get("/trace/", {"q": query})

    assert response.status_code == 302
    assert response.url == f"/trace/message/{delivered.pk}/"


def test_several_hits_are_listed_newest_first(support, post_smstake):
    for n in range(3):
        post_smstake(smstake_report(message_id=f"msg_otp_{n}", client_ref=f"otp_{n}"))

    response = support.get("/trace/", {"q": "098765 43210"})

    assert response.status_code == 200
    ids = [m.message_id for m in response.context["messages"]]
    assert ids == ["msg_otp_2", "msg_otp_1", "msg_otp_0"]
    assert b"msg_otp_1" in response.content


def test_nothing_found_says_so_instead_of_failing(support, delivered):
    for query in ["msg_nope", "12", "<script>", "x" * 5000]:
        response = support.get("/trace/", {"q": query})
        assert response.status_code == 200
        assert b"Nothing matches" in response.content


def test_a_string_that_is_no_phone_number_matches_no_phone(delivered):
    assert message_search(query="not a number") == []
    assert message_search(query="") == []


def test_the_message_page_shows_the_timeline_in_arrival_order_with_labels(support, post_smstake):
    base = {"message_id": "msg_tl", "client_ref": "order_TL", "delivered_at": None}
    post_smstake(
        smstake_report(
            **base,
            status="submitted",
            status_code="ACCEPTD",
            submitted_at="2026-06-30T10:15:02+05:30",
        )
    )
    post_smstake(
        smstake_report(
            message_id="msg_tl", client_ref="order_TL", status="delivered", status_code="DELIVRD"
        )
    )
    # The interim report overtaken by the final one: recorded, but out of order.
    post_smstake(
        smstake_report(
            **base, status="sent", status_code="ENROUTE", timestamp="2026-06-30T10:15:03+05:30"
        )
    )
    message = Message.objects.get(message_id="msg_tl")

    response = support.get(f"/trace/message/{message.pk}/")

    assert response.status_code == 200
    timeline = response.context["trace"].timeline
    assert [(e.event.status, e.event.provider_code, e.event.outcome) for e in timeline] == [
        ("submitted", "ACCEPTD", "applied"),
        ("delivered", "DELIVRD", "applied"),
        ("sent", "ENROUTE", "out_of_order"),
    ]
    html = response.content.decode()
    assert "out of order" in html
    rows = html.split("<h2>Timeline</h2>")[1]
    assert rows.index("ACCEPTD") < rows.index("DELIVRD") < rows.index("ENROUTE")
    assert "background:seagreen" in html  # the Delivered badge, coloured
    assert "2.0 s" in html  # submit → delivered latency of the documented sample


def test_each_report_links_to_its_raw_webhook_log_row(support, delivered):
    event_id = delivered.events.get().inbound_event_id

    html = support.get(f"/trace/message/{delivered.pk}/").content.decode()

    assert f'href="/admin/webhooks/inboundevent/{event_id}/change/"' in html


def test_an_error_code_is_explained_next_to_the_raw_code(support, post_smstake):
    post_smstake(
        smstake_report(
            message_id="msg_dlt",
            status="rejected",
            status_code="REJECTD",
            error_code="DLT_TEMPLATE_MISMATCH",
            error_message="Content does not match the DLT template",
            delivered_at=None,
        )
    )
    message = Message.objects.get(message_id="msg_dlt")

    html = support.get(f"/trace/message/{message.pk}/").content.decode()

    assert "DLT: the content does not match the registered template" in html
    assert "permanent" in html
    assert "template" in html


def test_an_unknown_error_code_shows_as_unknown(support, post_smstake):
    post_smstake(
        smstake_report(
            message_id="msg_odd", status="failed", error_code="ZZ_NEW_42", delivered_at=None
        )
    )
    message = Message.objects.get(message_id="msg_odd")

    html = support.get(f"/trace/message/{message.pk}/").content.decode()

    assert "ZZ_NEW_42" in html
    assert "unknown" in html


def test_an_otp_journey_across_channels_shows_as_one(support, post_smstake):
    ref = {"client_ref": "otp_journey1", "delivered_at": None}
    post_smstake(
        smstake_report(
            **ref,
            message_id="msg_j_sms",
            channel="sms",
            status="undelivered",
            status_code="UNDELIV",
            error_code="001",
            submitted_at="2026-06-30T10:15:00+05:30",
        )
    )
    post_smstake(
        smstake_report(
            **ref,
            message_id="msg_j_wa",
            channel="whatsapp",
            status="failed",
            status_code="FAILED",
            error_code="131026",
            submitted_at="2026-06-30T10:16:00+05:30",
        )
    )
    post_smstake(
        smstake_report(
            **ref,
            message_id="msg_j_voice",
            channel="voice",
            status="answered",
            status_code="ANSWERED",
            submitted_at="2026-06-30T10:17:00+05:30",
        )
    )
    wa = Message.objects.get(message_id="msg_j_wa")

    response = support.get(f"/trace/message/{wa.pk}/")

    journey = response.context["trace"].journey
    assert [(m.channel, m.status) for m in journey] == [
        ("sms", "undelivered"),
        ("whatsapp", "failed"),
        ("voice", "answered"),
    ]
    assert "Journey" in response.content.decode()


def test_the_client_ref_search_lists_the_whole_journey(support, post_smstake):
    for channel in ("sms", "whatsapp"):
        post_smstake(
            smstake_report(message_id=f"msg_{channel}", channel=channel, client_ref="otp_two")
        )

    response = support.get("/trace/", {"q": "otp_two"})

    assert {m.channel for m in response.context["messages"]} == {"sms", "whatsapp"}


def test_anonymous_users_are_sent_to_the_login_page(client, delivered):
    response = client.get("/trace/", {"q": "msg_8f3k2j9x1m"})

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_campaign_managers_cannot_trace_messages(client, delivered):
    client.force_login(make_user("Campaign manager"))

    assert client.get("/trace/", {"q": "msg_8f3k2j9x1m"}).status_code == 403
    assert client.get(f"/trace/message/{delivered.pk}/").status_code == 403


def test_an_unknown_message_is_a_404(support):
    assert support.get("/trace/message/999999/").status_code == 404
