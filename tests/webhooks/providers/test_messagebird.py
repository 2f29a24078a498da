"""MessageBird status reports (GET) signed with MessageBird-Signature-JWT."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from deliveries.models import Message
from webhooks.providers import AuthError, InboundRequest, base
from webhooks.providers.messagebird import MessagebirdProvider

from .signers import request

# messagebird/go-rest-api signature_jwt/testdata/reference.json, a few cases verbatim.
REFERENCE = json.loads((Path(__file__).parent / "messagebird_reference.json").read_text())


@pytest.mark.parametrize("case", REFERENCE, ids=[c["name"] for c in REFERENCE])
def test_it_agrees_with_the_sdk_reference_cases(case, monkeypatch):
    now = datetime.fromisoformat(case["timestamp"]).timestamp()
    monkeypatch.setattr(base, "clock", lambda: now)
    req = InboundRequest(
        method=case["method"],
        url=case["url"],
        headers={"messagebird-signature-jwt": case["token"]},
        body=case.get("payload", "").encode(),
    )

    if case["valid"]:
        MessagebirdProvider().verify(req, [case["secret"]])
    else:
        with pytest.raises(AuthError):
            MessagebirdProvider().verify(req, [case["secret"]])


def test_it_handles_a_delivered_status_report(deliver):
    response = deliver("messagebird", request("messagebird", "delivered.txt"))

    assert response.status_code == 200
    message = Message.objects.get(
        provider="messagebird", message_id="efa6405d518d4c0c88cce11f7db775fb"
    )
    assert (message.status, message.provider_status, message.error_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert (message.to_raw, message.client_ref) == ("31612345678", "order-5001")


def test_it_handles_a_delivery_failed_report_with_error_1(deliver):
    deliver("messagebird", request("messagebird", "delivery_failed_1.txt"))

    message = Message.objects.get(message_id="efa6405d518d4c0c88cce11f7db775fc")
    assert (message.status, message.provider_status, message.error_code) == (
        "undelivered",
        "delivery_failed",
        "1",
    )
