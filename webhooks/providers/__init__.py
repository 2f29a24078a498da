"""Provider adapters, one module each. Register a new one in PROVIDERS below."""

from typing import Any

from .base import AuthError, InboundRequest, ParseError, Provider
from .custom import CustomProvider
from .infobip import InfobipProvider
from .jasmin import JasminProvider
from .kannel import KannelProvider
from .messagebird import MessagebirdProvider
from .plivo import PlivoProvider
from .sinch import SinchProvider
from .smstake import SmstakeProvider
from .standard_webhooks import StandardWebhooksProvider
from .telnyx import TelnyxProvider
from .twilio import TwilioProvider
from .vonage import VonageProvider
from .vonage_messages import VonageMessagesProvider
from .wavix import WavixProvider

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (
        SmstakeProvider,
        WavixProvider,
        TwilioProvider,
        VonageProvider,
        VonageMessagesProvider,
        PlivoProvider,
        TelnyxProvider,
        InfobipProvider,
        SinchProvider,
        MessagebirdProvider,
        KannelProvider,
        JasminProvider,
        StandardWebhooksProvider,
        CustomProvider,
    )
}


def provider_choices() -> list[tuple[str, str]]:
    return [(name, cls.label) for name, cls in sorted(PROVIDERS.items())]


def get_provider(name: str, settings: Any = None) -> Provider:
    """The adapter `name`, configured by an endpoint's stored `settings` (its mapping):
    only the custom adapter reads them (see `Provider.configured`)."""
    return PROVIDERS[name].configured(settings)


__all__ = [
    "PROVIDERS",
    "AuthError",
    "InboundRequest",
    "ParseError",
    "Provider",
    "get_provider",
    "provider_choices",
]
