"""The SSRF guard: private, loopback, link-local, multicast and metadata targets are
refused on save and at connect time (DNS rebinding), unless allowlisted."""

import socket

import pytest

from deliveries.status import Status
from forwarding import sender
from forwarding.drain import deliveries_drain
from forwarding.models import FINAL, Delivery, Subscription
from forwarding.sender import TargetRefused, target_check

from .test_outbox import _report, reports_and_write


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.10", "private"),
        ("[fd00::1]", "private"),
        ("169.254.169.254", "metadata"),
        ("[fd00:ec2::254]", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.10.1", "link-local"),
        ("[fe80::1]", "link-local"),
        ("224.0.0.1", "multicast"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "private"),  # noqa: S104 (the address under test)
        ("100.64.0.1", "not a public"),
    ],
)
def test_a_target_that_is_not_a_public_address_is_refused(host: str, why: str, settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with pytest.raises(TargetRefused, match=why):
        target_check(f"https://{host}/hook")


def test_a_public_address_is_allowed(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = []
    target_check("https://93.184.215.14/hook")


def test_an_allowlisted_host_or_address_is_let_through(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["10.1.2.3", "localhost"]
    target_check("http://10.1.2.3:8080/hook")
    target_check("http://localhost/hook")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost"])
def test_only_http_urls_with_a_host_are_called(url: str) -> None:
    with pytest.raises(TargetRefused, match="Only http"):
        target_check(url)


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
    monkeypatch.setattr(sender.socket, "getaddrinfo", lambda *a, **k: next(answers))
    url = f"http://receiver.example.com:{port}/hook"
    target_check(url)
    subscription = Subscription.objects.create(
        name="rebinding", url=url, secrets=[receiver.secret], event_types=[FINAL]
    )
    reports_and_write([_report("m1", Status.DELIVERED)])

    deliveries_drain()

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == "pending" and delivery.last_status_code is None
    assert "127.0.0.1, a loopback address" in delivery.last_error
    assert receiver.received == []
