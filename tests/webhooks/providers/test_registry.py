"""Every registered adapter is complete: label, help text, methods, cited docs and fixtures."""

import re
import sys

import pytest

from webhooks.providers import PROVIDERS, provider_choices

from ...helpers import FIXTURES

NEW = sorted(set(PROVIDERS) - {"smstake", "wavix"})


def test_the_endpoint_form_offers_every_provider():
    assert [name for name, _ in provider_choices()] == sorted(PROVIDERS)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_each_adapter_tells_the_user_where_to_paste_the_url(name):
    cls = PROVIDERS[name]
    assert cls.label
    assert len(cls.setup_help) > 40
    assert set(cls.methods) <= {"GET", "POST"}


@pytest.mark.parametrize("name", NEW)
def test_each_docstring_cites_its_documentation_and_names_existing_fixtures(name):
    doc = sys.modules[PROVIDERS[name].__module__].__doc__ or ""
    assert "https://" in doc
    named = set(re.findall(r"`([\w.]+\.(?:json|txt))`", doc))
    # SOURCES.md (where each fixture comes from) is documentation, not a payload.
    on_disk = {path.name for path in (FIXTURES / name).iterdir() if path.suffix != ".md"}
    assert named == on_disk
