"""Provider adapters, one module each. Register a new one in PROVIDERS below."""

from typing import Any

from .africastalking import AfricastalkingProvider
from .azure_acs import AzureAcsProvider
from .bandwidth import BandwidthProvider
from .base import AuthError, InboundRequest, ParseError, Provider
from .clickatell import ClickatellProvider
from .custom import CustomProvider
from .exotel import ExotelProvider
from .gupshup import GupshupProvider
from .infobip import InfobipProvider
from .jasmin import JasminProvider
from .kaleyra import KaleyraProvider
from .kannel import KannelProvider
from .messagebird import MessagebirdProvider
from .msg91 import Msg91Provider
from .plivo import PlivoProvider
from .rbm import RbmProvider
from .sinch import SinchProvider
from .smstake import SmstakeProvider
from .standard_webhooks import StandardWebhooksProvider
from .telnyx import TelnyxProvider
from .twilio import TwilioProvider
from .vonage import VonageProvider
from .vonage_messages import VonageMessagesProvider
from .vonage_voice import VonageVoiceProvider
from .wavix import WavixProvider
from .whatsapp import WhatsappProvider

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
        GupshupProvider,
        ExotelProvider,
        BandwidthProvider,
        AfricastalkingProvider,
        KaleyraProvider,
        ClickatellProvider,
        WhatsappProvider,
        RbmProvider,
        AzureAcsProvider,
        Msg91Provider,
        VonageVoiceProvider,
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
