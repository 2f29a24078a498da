"""The normalized delivery report every provider adapter produces.

Pure data, no database: `webhooks.providers.*` build these from provider payloads and
`deliveries.services.reports_apply` turns them into messages and status events.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .status import Status


class Channel(StrEnum):
    SMS = "sms"
    MMS = "mms"
    RCS = "rcs"
    WHATSAPP = "whatsapp"
    VOICE = "voice"


CHANNEL_CHOICES: list[tuple[str, str]] = [
    (Channel.SMS, "SMS"),
    (Channel.MMS, "MMS"),
    (Channel.RCS, "RCS"),
    (Channel.WHATSAPP, "WhatsApp"),
    (Channel.VOICE, "Voice"),
]


class Environment(StrEnum):
    """Which of a provider account's environments an endpoint receives. Sandbox traffic is
    traced and logged like live traffic but kept out of every figure (the rollups)."""

    LIVE = "live"
    SANDBOX = "sandbox"


ENVIRONMENT_CHOICES: list[tuple[str, str]] = [
    (Environment.LIVE.value, "Live"),
    (Environment.SANDBOX.value, "Sandbox"),
]


@dataclass(frozen=True)
class DeliveryReport:
    """One status report for one message, in dlrdash's vocabulary.

    `status` is canonical; `provider_status` and `provider_code` keep exactly what the
    provider said, so nothing is lost in the mapping. Empty strings mean "not reported".
    """

    provider: str
    message_id: str
    status: Status
    provider_status: str
    event_time: datetime | None = None
    provider_code: str = ""
    error_code: str = ""
    error_message: str = ""
    channel: str = ""
    to: str = ""
    sender: str = ""
    operator: str = ""
    client_ref: str = ""
    tag: str = ""
    dlt_template_id: str = ""
    segments: int | None = None
    submitted_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    call_duration: int | None = None
    # What the provider charged for this message in all (every segment), as it reported it:
    # `currency` is ISO 4217. `price_unreadable` marks a price field that was present but
    # malformed: the status still applies, the cost stays unknown.
    price: Decimal | None = None
    currency: str = ""
    price_unreadable: bool = False
    # "gsm7" or "ucs2" when the provider says how the text was encoded; WhatsApp's pricing
    # category (marketing, utility, authentication, service) or another provider category.
    encoding: str = ""
    category: str = ""
    # Not the provider's to say: the receiving endpoint's (`webhooks.inbox` sets it).
    environment: str = Environment.LIVE.value
