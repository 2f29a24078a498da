"""dlrdash.outbound's guard: destinations inside our network are refused, when saved and when
called, and a connection goes to the address that was checked."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from dlrdash import outbound
from dlrdash.outbound import OutboundRefused, post, target_check

# --- Which addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.170.2", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("192.0.0.192", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (an address to refuse)
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("::127.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),
        # IPv4 inside IPv6: mapped, 6to4, NAT64.
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("2002:7f00:1::1", "a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
    ],
)
def test_an_address_inside_our_network_is_refused(address: str, reason: str, resolving) -> None:
    resolving({"hooks.example.net": [address]})

    with pytest.raises(OutboundRefused) as refused:
        target_check("https://hooks.example.net/alerts")

    assert str(refused.value) == (
        f"hooks.example.net resolves to {reason}, which is not allowed (OUTBOUND_ALLOWED_HOSTS)"
    )


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_a_public_address_is_allowed(address: str, resolving) -> None:
    resolving({"hooks.example.net": [address]})

    target = target_check("https://hooks.example.net/alerts?team=ops")

    assert (target.host, target.port, target.path) == ("hooks.example.net", 443, "/alerts?team=ops")
    assert target.addresses == (str(ipaddress.ip_address(address)),)


def test_a_name_is_refused_if_any_of_its_addresses_is_inside(resolving) -> None:
    resolving({"hooks.example.net": ["8.8.8.8", "10.0.0.7"]})

    with pytest.raises(OutboundRefused, match="a private address"):
        target_check("http://hooks.example.net/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://[::1]/",
        "http://localhost:6379/",
        "http://0x7f000001/",  # the resolver reads these spellings of 127.0.0.1 too
        "http://2130706433/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_addresses_written_in_the_url_are_checked_the_same_way(url: str) -> None:
    with pytest.raises(OutboundRefused):
        target_check(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "only http and https URLs are called"),
        ("file:///etc/passwd", "only http and https URLs are called"),
        ("gopher://127.0.0.1:6379/_INFO", "only http and https URLs are called"),
        ("http:///path", "the URL has no host"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_anything_but_an_http_url_with_a_host_is_refused(url: str, message: str) -> None:
    with pytest.raises(OutboundRefused, match=message):
        target_check(url)


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9000/hook"),
        (["localhost"], "http://localhost:9000/hook"),
        (["LOCALHOST."], "http://localhost:9000/hook"),
        (["10.0.0.0/8"], "http://10.20.30.40/hook"),
        (["::1"], "http://[::1]:9000/hook"),
    ],
)
def test_a_listed_host_name_address_or_network_is_allowed(
    allowed: list[str], url: str, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = allowed

    assert target_check(url).addresses


def test_listing_an_address_does_not_allow_a_name_that_also_resolves_elsewhere(
    resolving, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    resolving({"both.example.net": ["127.0.0.1", "::1"]})

    with pytest.raises(OutboundRefused, match="a loopback address"):
        target_check("http://both.example.net/")


def test_the_validator_refuses_with_the_reason_and_lets_an_unresolvable_name_through(
    resolving,
) -> None:
    resolving({"inside.example.net": ["192.168.0.10"]})

    with pytest.raises(ValidationError) as refused:
        outbound.validate_destination("https://inside.example.net/hook")
    # Checked again on every send: DNS may just be away at save time.
    outbound.validate_destination("https://not-yet.example.net/hook")

    assert refused.value.messages == [
        "inside.example.net resolves to a private address, which is not allowed "
        "(OUTBOUND_ALLOWED_HOSTS)"
    ]


# --- DNS rebinding: checked again, and connected to what was checked -------------------------


def test_a_name_that_passed_when_saved_but_resolves_inside_when_called_is_refused(
    resolving, local_server
) -> None:
    server = local_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    resolving({"rebind.example.net": ["93.184.215.14"]})
    outbound.validate_destination(f"http://rebind.example.net:{server.port}/hook")  # saved

    resolving({"rebind.example.net": ["127.0.0.1"]})  # the record changes
    with pytest.raises(OutboundRefused, match="resolves to a loopback address"):
        post(f"http://rebind.example.net:{server.port}/hook", body=b"{}", headers={})

    assert server.requests == []


def test_the_connection_goes_to_the_address_that_was_checked_and_keeps_the_host_name(
    resolving, local_server, settings
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.internal"]
    server = local_server(b"HTTP/1.1 204 No Content\r\n\r\n")
    # Resolved once: a second lookup would send the request nowhere.
    calls = resolving({"hooks.internal": ["127.0.0.1"]}, then=["192.0.2.1"])

    response = post(f"http://hooks.internal:{server.port}/hook", body=b"{}", headers={})

    assert response.status == 204
    assert calls == ["hooks.internal"]
    assert f"host: hooks.internal:{server.port}" in server.requests[0].decode().lower()
