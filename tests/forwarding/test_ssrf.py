"""The SSRF guard on the forwarding path: targets are refused on save (model, API, admin)
and at connect time (DNS rebinding). Which addresses are refused is tested once, for the
guard itself, in tests/dlrdash/outbound/test_guard.py."""

import socket

import pytest
from django.core.exceptions import ValidationError

from deliveries.status import Status
from forwarding.drain import deliveries_drain
from forwarding.models import FINAL, Delivery, Subscription

from .test_outbox import _report, reports_and_write


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "http://[fd00:ec2::254]/", "http://[::ffff:10.1.2.3]/"]
)
def test_a_subscription_to_an_address_inside_our_network_is_not_valid(url: str, settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = []
    subscription = Subscription(name="x", url=url, event_types=[FINAL])

    with pytest.raises(ValidationError) as refused:
        subscription.full_clean()

    assert "which is not allowed (OUTBOUND_ALLOWED_HOSTS)" in refused.value.message_dict["url"][0]


@pytest.mark.django_db
def test_a_name_rebound_to_loopback_after_saving_is_refused_at_send(
    receiver, settings, monkeypatch
) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    settings.OUTBOUND_ALLOWED_HOSTS = []
    answers = iter(
        [
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))],  # on save
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))],  # at send
        ]
    )
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: next(answers))
    url = f"http://receiver.example.com:{port}/hook"
    subscription = Subscription(
        name="rebinding", url=url, secrets=[receiver.secret], event_types=[FINAL]
    )
    subscription.full_clean()
    subscription.save()
    reports_and_write([_report("m1", Status.DELIVERED)])

    deliveries_drain()

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == "pending" and delivery.last_status_code is None
    assert delivery.last_error == (
        "receiver.example.com resolves to a loopback address, which is not allowed "
        "(OUTBOUND_ALLOWED_HOSTS)"
    )
    assert receiver.received == []
