"""Vonage Voice API call events (the application's event webhook).

Documentation: https://developer.vonage.com/en/voice/voice-api/webhook-reference ("Event
webhook": JSON with `uuid` (the call leg, as the create-call API returns it),
`conversation_uuid`, `status` — started, ringing, answered, machine / human, completed
(with `duration` in seconds, `rate`, `price`, `start_time`, `end_time`, `network`), busy,
cancelled, failed, rejected, timeout, unanswered —, `detail` (why a call failed:
`invalid_number`, `restricted`, `declined`, …), `direction`, `from`, `to`, `timestamp`).
Events without a `status` (recordings, DTMF input, transfers) carry none and give no
report. Signed like the Messages API: https://developer.vonage.com/en/getting-started/concepts/signed-webhooks
— the check is `vonage_messages.signed_jwt_verify`. The statuses are the Python SDK's
`CallState` (https://github.com/Vonage/vonage-python-sdk,
`voice/src/vonage_voice/models/enums.py`), plus `human` from machine detection.

Fixtures (tests/fixtures/vonage_voice/): `started.json`, `answered.json`,
`completed.json`, `busy.json`, `unanswered_timeout.json`, `rejected_restricted.json` and
`recording.json` (see SOURCES.md there).
"""

from collections.abc import Sequence

from deliveries.reports import Channel, DeliveryReport
from deliveries.status import Status

from .base import InboundRequest, ParseError, Provider, parse_time, positive_int, text
from .vonage_messages import signed_jwt_verify

STATUS_MAP: dict[str, Status] = {
    "started": Status.SUBMITTED,
    "ringing": Status.SENT,
    "answered": Status.ANSWERED,
    "human": Status.ANSWERED,  # answering-machine detection: a person picked up
    "machine": Status.ANSWERED,  # …a voicemail did: the call was still connected
    "busy": Status.BUSY,
    "timeout": Status.NO_ANSWER,
    "unanswered": Status.NO_ANSWER,
    "rejected": Status.REJECTED,
    "failed": Status.FAILED,
    "cancelled": Status.FAILED,
}


class VonageVoiceProvider(Provider):
    name = "vonage_voice"
    label = "Vonage Voice API"
    setup_help = (
        "Vonage API Dashboard → Applications → your application → Capabilities → Voice: "
        "paste this URL as “Event URL” (HTTP POST), or pass it as event_url when creating a "
        "call. Paste the account's “Signature secret” (API Settings) here."
    )

    def verify(self, request: InboundRequest, secrets: Sequence[str]) -> None:
        signed_jwt_verify(request, secrets)

    def parse(self, request: InboundRequest) -> list[DeliveryReport]:
        data = request.json_object()
        raw_status = text(data.get("status"))
        if not raw_status:
            return []  # a recording, input or transfer event: no call status
        call_id = text(data.get("uuid"))
        if not call_id:
            raise ParseError("missing uuid")
        duration = positive_int(data.get("duration"))
        status = STATUS_MAP.get(raw_status.lower(), Status.UNKNOWN)
        if raw_status.lower() == "completed":
            # The end of a call: a connected one has lasted; after busy or no answer
            # Vonage may still say completed, which must not turn the call answered.
            status = Status.ANSWERED if duration else Status.UNKNOWN
        at = parse_time(data.get("timestamp"))
        return [
            DeliveryReport(
                provider=self.name,
                message_id=call_id,
                status=status,
                provider_status=raw_status,
                event_time=at,
                error_code=text(data.get("detail")) if status != Status.ANSWERED else "",
                channel=Channel.VOICE,
                to=text(data.get("to")),
                sender=text(data.get("from")),
                operator=text(data.get("network")),
                delivered_at=at if status == Status.ANSWERED else None,
                call_duration=duration if raw_status.lower() == "completed" else None,
            )
        ]
