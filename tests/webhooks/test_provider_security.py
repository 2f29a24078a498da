"""One security suite for every adapter in PROVIDERS: anything unauthentic is a 401.

Each provider's documented success example is signed the way that provider signs (see
providers/signers.py) and then broken in the ways attackers and broken proxies break
requests. The answer is always 401 — never a 500 — and nothing reaches the messages.
"""

import json
from dataclasses import replace

import pytest

from deliveries.models import Message
from webhooks.models import InboundEvent, WebhookEndpoint
from webhooks.providers import PROVIDERS

from .providers.custom_cases import mapping_of, provider_of, recorded_as, slug_of
from .providers.signers import (
    SIGNERS,
    TOKEN_ONLY,
    endpoint_secret,
    key_for,
    sample,
    sign,
    tampered,
)
from .providers.signers import (
    altered as body_altered,
)

pytestmark = pytest.mark.django_db

# Every adapter, the custom one once per authentication kind (`custom:hmac`, …).
ALL = sorted(SIGNERS)
SIGNING = sorted(set(SIGNERS) - TOKEN_ONLY)


def _endpoint(provider: str, *labels: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        provider=provider_of(provider),
        slug=slug_of(provider),
        secrets=[endpoint_secret(provider, key_for(provider, label)) for label in labels],
        mapping=mapping_of(provider),
    )


def _assert_refused(response) -> None:
    assert response.status_code == 401
    assert not Message.objects.exists()
    event = InboundEvent.objects.get()
    assert (event.auth_ok, event.state, bytes(event.body)) == (False, "rejected", b"")


def test_every_provider_has_a_signer_and_a_sample():
    from .providers.signers import SAMPLES

    assert set(SIGNERS) == set(SAMPLES)
    assert {provider_of(case) for case in SIGNERS} == set(PROVIDERS)


@pytest.mark.parametrize("provider", ALL)
def test_a_correctly_signed_request_is_accepted(provider, send):
    _endpoint(provider, "primary")

    response = send(sign(provider, sample(provider), key_for(provider)))

    assert response.status_code == 200
    assert Message.objects.filter(provider=recorded_as(provider)).exists()


@pytest.mark.parametrize("provider", ALL)
def test_a_request_without_a_signature_is_refused(provider, send):
    _endpoint(provider, "primary")

    _assert_refused(send(sample(provider)))


@pytest.mark.parametrize("provider", ALL)
def test_a_malformed_signature_is_refused(provider, send):
    _endpoint(provider, "primary")
    signed = sign(provider, sample(provider), key_for(provider))

    _assert_refused(send(tampered(signed, "%%not=a,signature%%")))


@pytest.mark.parametrize("provider", ALL)
def test_a_signature_made_with_another_secret_is_refused(provider, send):
    _endpoint(provider, "primary")

    _assert_refused(send(sign(provider, sample(provider), key_for(provider, "attacker"))))


@pytest.mark.parametrize("provider", ALL)
def test_non_ascii_signature_values_are_refused(provider, send):
    _endpoint(provider, "primary")
    signed = tampered(sign(provider, sample(provider), key_for(provider)), "sïgnåture—✓")

    _assert_refused(send(replace(signed, headers={**signed.headers, "Authorization": "Basic ✓"})))


@pytest.mark.parametrize("provider", ALL)
def test_sixteen_kilobyte_signature_values_are_refused(provider, send):
    _endpoint(provider, "primary")
    signed = sign(provider, sample(provider), key_for(provider))

    _assert_refused(send(tampered(signed, "A" * 16384)))


@pytest.mark.parametrize("provider", ALL)
def test_during_rotation_both_secrets_are_accepted(provider, send):
    _endpoint(provider, "retiring", "primary")

    assert send(sign(provider, sample(provider), key_for(provider))).status_code == 200
    assert send(sign(provider, sample(provider), key_for(provider, "retiring"))).status_code == 200
    assert InboundEvent.objects.filter(auth_ok=True).count() == 2


@pytest.mark.parametrize("provider", SIGNING)
def test_a_body_altered_after_signing_is_refused(provider, send):
    _endpoint(provider, "primary")
    signed = sign(provider, sample(provider), key_for(provider))
    if signed.method == "GET":
        altered = replace(signed, path=signed.path + "&status=delivered&x=1")
    else:
        altered = body_altered(signed)

    _assert_refused(send(altered))


def test_token_only_providers_are_the_ones_that_do_not_sign():
    # Wavix, Infobip, Kannel, Jasmin, Azure Event Grid, MSG91 and the gateways below send no
    # signature: the endpoint secret proves the sender, TLS protects the body, and
    # deduplication is the replay defence. So do gateways onboarded through the custom
    # adapter with a token or basic auth.
    gateways = {"gupshup", "exotel", "bandwidth", "africastalking", "kaleyra", "clickatell"}
    custom = {"custom:token", "custom:basic"}
    assert {"wavix", "infobip", "kannel", "jasmin", "azure_acs", "msg91"} | gateways | custom == (
        TOKEN_ONLY
    )
    assert all("token" in PROVIDERS[provider_of(name)].secret_params for name in TOKEN_ONLY)


@pytest.mark.parametrize("provider", ALL)
def test_no_secret_or_signature_value_reaches_the_log(provider, send):
    _endpoint(provider, "primary")
    signed = sign(provider, sample(provider), key_for(provider))

    assert send(signed).status_code == 200

    event = InboundEvent.objects.get()
    logged = json.dumps(event.headers) + event.query_string
    assert key_for(provider) not in logged
    adapter = event.endpoint.provider_adapter()  # a custom mapping names its own header
    secret_headers = {name.lower() for name in adapter.secret_headers}
    for name in signed.auth_headers:
        if name.lower() in secret_headers:
            assert event.headers[name.lower()] == "[redacted]"
    for name in signed.auth_params:
        if name in adapter.secret_params:
            assert f"{name}=%5Bredacted%5D" in event.query_string
