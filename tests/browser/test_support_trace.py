"""A support agent, in a real browser: log in, search a number as a customer reads it out,
open the message, read its timeline. Screenshots go to test-artifacts/ for review."""

import pytest
from django.test import Client

from deliveries.models import Message

from ..factories import make_user
from ..support import smstake_report
from .conftest import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    # The live server sees only committed data.
    pytest.mark.django_db(transaction=True),
]


def _journey(post_smstake) -> None:
    """An OTP to +91 98765 43210 that failed on SMS and was delivered on WhatsApp."""
    ref = {"client_ref": "otp_7h2k9q", "delivered_at": None}
    post_smstake(
        smstake_report(
            **ref,
            message_id="msg_otp_sms",
            status="sent",
            status_code="ENROUTE",
            timestamp="2026-06-30T10:15:03+05:30",
        )
    )
    post_smstake(
        smstake_report(
            **ref,
            message_id="msg_otp_sms",
            status="undelivered",
            status_code="UNDELIV",
            error_code="001",
            error_message="Absent subscriber",
            timestamp="2026-06-30T10:15:40+05:30",
        )
    )
    post_smstake(
        smstake_report(
            client_ref="otp_7h2k9q",
            message_id="msg_otp_wa",
            channel="whatsapp",
            status="delivered",
            status_code="DELIVERED",
            submitted_at="2026-06-30T10:16:05+05:30",
            delivered_at="2026-06-30T10:16:07+05:30",
            dlt_template_id=None,
        )
    )


def test_support_traces_an_otp_by_a_local_phone_number(live_server, page, post_smstake):
    _journey(post_smstake)
    make_user("Support", username="asha")

    page.goto(f"{live_server.url}/trace/")
    page.fill("#id_username", "asha")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.fill("input[name=q]", "098765 43210")
    page.press("input[name=q]", "Enter")

    page.wait_for_selector("table.trace-results")
    page.screenshot(path=str(ARTIFACTS / "trace-results.png"), full_page=True)
    results = page.inner_text("table.trace-results")
    assert "msg_otp_sms" in results and "msg_otp_wa" in results
    assert "+91 98••••3210" in results
    assert "9876543210" not in page.content()

    page.click("text=msg_otp_sms")
    page.wait_for_selector("table.timeline")
    page.screenshot(path=str(ARTIFACTS / "trace-message.png"), full_page=True)
    timeline = page.inner_text("table.timeline")
    assert timeline.index("Sent") < timeline.index("Undelivered")
    assert "Absent subscriber: handset off or out of coverage" in timeline
    assert "Journey" in page.inner_text("main")

    page.click("ol.journey >> text=msg_otp_wa")
    page.wait_for_selector("table.timeline")
    assert Message.objects.get(message_id="msg_otp_wa").status == "delivered"
    assert "Delivered" in page.inner_text("table.timeline")


@pytest.fixture
def post_smstake(client: Client, smstake_endpoint):
    """Posts signed reports; the transactional database runs after-commit work for real."""
    from ..conftest import run_worker
    from ..helpers import smstake_sign

    def post(body: bytes):
        response = client.post(
            "/webhooks/smstake/",
            data=body,
            content_type="application/json",
            headers={"X-SMSTAKE-Signature": smstake_sign(body)},
        )
        run_worker()  # with a broker, applying is the worker's job
        return response

    return post
