"""Provider adapters, one module each. Register a new one in PROVIDERS below."""

from .base import AuthError, InboundRequest, ParseError, Provider
from .smstake import SmstakeProvider
from .wavix import WavixProvider

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (
        SmstakeProvider,
        WavixProvider,
    )
}


def provider_choices() -> list[tuple[str, str]]:
    return [(name, cls.label) for name, cls in sorted(PROVIDERS.items())]


def get_provider(name: str) -> Provider:
    return PROVIDERS[name]()


__all__ = [
    "PROVIDERS",
    "AuthError",
    "InboundRequest",
    "ParseError",
    "Provider",
    "get_provider",
    "provider_choices",
]
