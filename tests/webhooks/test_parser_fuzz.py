"""Every provider's parse() on random bytes, random JSON and mutated real payloads.

parse() runs on stored events long after the request was answered; whatever a provider
(or an attacker holding a leaked token) sent, it may only say ParseError — anything else
would be a parser bug that leaves an event unprocessed — and every report it hands over
(through `reports()`) is one the database can store.
"""

import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.http import HttpResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhooks.providers import PROVIDERS, AuthError, InboundRequest, ParseError
from webhooks.providers.storable import report_storable

from ..helpers import FIXTURES, examples
from .providers.custom_cases import mapping_of, provider_of

FUZZ = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
# Every adapter; the custom one with a mapping per input format (query, form, JSON list).
ADAPTERS = [*sorted(set(PROVIDERS) - {"custom"}), "custom:token", "custom:basic", "custom:hmac"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    # NULs and lone surrogates too: valid JSON escapes that no database column holds.
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def _parse(provider: str, request: InboundRequest) -> None:
    with contextlib.suppress(ParseError):
        adapter = PROVIDERS[provider_of(provider)].configured(mapping_of(provider))
        for report in adapter.reports(request):
            assert report_storable(report) == (report, [])


def _post(body: bytes, content_type: str) -> InboundRequest:
    return InboundRequest(method="POST", url="", headers={"content-type": content_type}, body=body)


def _fixtures(provider: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / provider_of(provider)).glob("*.*") if p.suffix != ".md")


@pytest.mark.parametrize("provider", ADAPTERS)
@FUZZ
@given(body=st.binary(max_size=300), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_bytes_only_raise_parse_error(provider, body, content_type):
    _parse(provider, _post(body, content_type))


@pytest.mark.parametrize("provider", ADAPTERS)
@FUZZ
@given(value=json_values)
def test_random_json_only_raises_parse_error(provider, value):
    _parse(provider, _post(json.dumps(value).encode(), "application/json"))


@pytest.mark.parametrize("provider", ADAPTERS)
@FUZZ
@given(query=st.dictionaries(st.text(max_size=12), st.lists(st.text(max_size=20), max_size=3)))
def test_random_get_queries_only_raise_parse_error(provider, query):
    _parse(provider, InboundRequest(method="GET", url="", headers={}, query=query))


@pytest.mark.parametrize("provider", ADAPTERS)
@settings(FUZZ, max_examples=examples(150))
@given(data=st.data())
def test_real_payloads_with_random_values_only_raise_parse_error(provider, data):
    paths = _fixtures(provider)
    path = data.draw(st.sampled_from(paths)) if paths else None
    if path is None:
        return
    raw = path.read_bytes()
    if path.suffix == ".json":
        mutated = _mutate(json.loads(raw), data)
        _parse(provider, _post(json.dumps(mutated).encode(), "application/json"))
        return
    pairs = [
        (k, data.draw(st.text(max_size=20)) if data.draw(st.booleans()) else v)
        for k, v in parse_qsl(raw.decode(), keep_blank_values=True)
    ]
    body = urlencode(pairs)
    _parse(provider, _post(body.encode(), "application/x-www-form-urlencoded"))
    query: dict[str, list[str]] = {}
    for k, v in pairs:
        query.setdefault(k, []).append(v)
    _parse(provider, InboundRequest(method="GET", url="", headers={}, query=query))


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@FUZZ
@given(
    method=st.sampled_from(["GET", "POST"]),
    query=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "token", "x"]),
        st.lists(st.just("s3cret") | st.text(max_size=20), max_size=2),  # at times the secret
    ),
    # Random JSON, and the shapes of the handshakes with random values in them.
    value=json_values
    | st.fixed_dictionaries({"clientToken": json_values, "secret": json_values})
    | st.lists(
        st.fixed_dictionaries(
            {
                "eventType": st.just("Microsoft.EventGrid.SubscriptionValidationEvent"),
                "data": json_values | st.fixed_dictionaries({"validationCode": json_values}),
            }
        ),
        max_size=2,
    ),
)
def test_handshakes_only_answer_or_raise_auth_error(provider, method, query, value):
    # The view calls handshake() before anything else: whatever arrives, it may only answer,
    # decline (None) or refuse (AuthError) — an exception here would be a 500.
    body = json.dumps(value).encode() if method == "POST" else b""
    request = InboundRequest(
        method=method,
        url="https://dlr.example.com/webhooks/x/",
        headers={"content-type": "application/json"},
        query=query,
        body=body,
    )
    with contextlib.suppress(AuthError):
        answer = PROVIDERS[provider]().handshake(request, ["s3cret", ""])
        assert answer is None or isinstance(answer, HttpResponse)


def _mutate(value: Any, data: st.DataObject) -> Any:
    """The payload with one to three of its nodes (leaves or whole branches) replaced."""
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(value)))
        value = _replaced(value, path, data.draw(json_values))
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _paths(child, (*prefix, index))
    return paths


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    if isinstance(value, dict):
        return {k: _replaced(v, path[1:], new) if k == path[0] else v for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, path[1:], new) if i == path[0] else v for i, v in enumerate(value)]
    return value
