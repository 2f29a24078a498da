"""Realistic DLR traffic for demos, tests and benchmarks.

Generates SMSTAKE, Wavix and (optionally) Infobip reports for N messages — several
campaigns, Indian operators, all channels, a believable mix of final statuses and error
codes, OTP fallbacks from SMS to WhatsApp to Voice under one client_ref, duplicates and
out-of-order deliveries — as signed HTTP requests ready to post to `/webhooks/<slug>/`.

SMSTAKE and Infobip both report the operator (Infobip as an MCC-MNC), so the two can be
compared per operator. `Degradation` makes one provider's deliveries on one operator
collapse over the last minutes of the window, for comparison and alerting drills.
"""

import hashlib
import hmac
import json
import random
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone as django_timezone

from .simulation_payloads import Plan, infobip_payload, smstake_payload, wavix_payload

CAMPAIGNS = [
    ("OTP login", "otp_"),
    ("Diwali promo", "promo_diwali_"),
    ("Order updates", "order_"),
    ("Payment alerts", "alert_pay_"),
]
CAMPAIGN_WEIGHTS = [40, 25, 25, 10]
OPERATORS = ["JIO", "AIRTEL", "VI", "BSNL"]
OPERATOR_WEIGHTS = [40, 33, 20, 7]
CHANNELS = ["sms", "whatsapp", "rcs", "voice"]
CHANNEL_WEIGHTS = [72, 15, 6, 7]
DLT_TEMPLATES = ["1207165123456789012", "1207161987654321098", "1207168800112233445"]

# (canonical status, SMPP stat code, error code, error message, weight) per channel.
FinalRow = tuple[str | None, str | None, str | None, str | None, int]
SMS_FINALS: list[FinalRow] = [
    ("delivered", "DELIVRD", None, None, 860),
    ("undelivered", "UNDELIV", "001", "Absent subscriber: handset off or out of coverage", 30),
    ("expired", "EXPIRED", "EXPIRED", "Not delivered within the validity period", 20),
    ("failed", "UNDELIV", "DND", "Number is registered in the DND (NCPR) list", 15),
    ("failed", "UNDELIV", "INVALID_NUMBER", "Invalid destination number", 10),
    ("rejected", "REJECTD", "DLT_TEMPLATE_MISMATCH", "Content does not match the DLT template", 25),
    ("rejected", "REJECTD", "DLT_HEADER_INACTIVE", "Sender header not registered on DLT", 8),
    ("rejected", "REJECTD", "DLT_CONSENT_NOT_FOUND", "No consent registered for promotional", 7),
    (None, None, None, None, 25),  # no final report ever arrives
]
CHAT_FINALS: list[FinalRow] = [
    ("delivered", "DELIVERED", None, None, 900),
    ("failed", "FAILED", "131026", "Recipient is not a WhatsApp/RCS user", 60),
    ("failed", "FAILED", "131047", "Re-engagement window closed (24 h)", 20),
    (None, None, None, None, 20),
]
VOICE_FINALS: list[FinalRow] = [
    ("answered", "ANSWERED", None, None, 700),
    ("no-answer", "NOANSWER", "NO_ANSWER", "Call not answered", 180),
    ("busy", "BUSY", "USER_BUSY", "Callee busy", 90),
    ("failed", "FAILED", "CALL_FAILED", "Network failure", 30),
]


# What a degraded segment's failures look like: mostly DLT scrubbing rejects.
DEGRADED_FINALS: list[FinalRow] = [
    ("rejected", "REJECTD", "DLT_TEMPLATE_MISMATCH", "Content does not match the DLT template", 8),
    ("undelivered", "UNDELIV", "001", "Absent subscriber: handset off or out of coverage", 2),
]


@dataclass(frozen=True)
class Degradation:
    """`provider`'s messages to `operator` submitted in the last `minutes` of the window
    are delivered with probability `rate`; the rest fail (see DEGRADED_FINALS). None is
    left without a final report, except those whose report would come after the window's
    end (as for all traffic), so among final reports the delivery rate is about `rate`.
    """

    provider: str
    operator: str
    minutes: float
    rate: float = 0.7

    @classmethod
    def parse(cls, value: str) -> "Degradation":
        """`PROVIDER:OPERATOR:MINUTES[:RATE]`, e.g. `infobip:AIRTEL:30:0.7`."""
        parts = value.split(":")
        if len(parts) not in (3, 4) or not parts[0] or not parts[1]:
            raise ValueError("expected PROVIDER:OPERATOR:MINUTES[:RATE]")
        try:
            minutes = float(parts[2])
            rate = float(parts[3]) if len(parts) == 4 else 0.7
        except ValueError:
            raise ValueError("MINUTES and RATE must be numbers") from None
        if minutes <= 0 or not 0 <= rate <= 1:
            raise ValueError("MINUTES must be positive and RATE between 0 and 1")
        return cls(parts[0].lower(), parts[1].upper(), minutes, rate)


@dataclass(frozen=True)
class SentMessage:
    """One simulated message as it went: what `simulation_conversions` needs to decide
    whether (and when) its recipient converted."""

    client_ref: str
    provider: str
    message_id: str
    operator: str
    channel: str
    final: str | None  # the final status reported, None if none came
    done_at: datetime  # when the final report says it happened


@dataclass(frozen=True)
class SimulatedRequest:
    provider: str
    body: bytes
    when: datetime  # the provider's time for this report; requests are sent in this order


@dataclass(frozen=True)
class SimulatedRegistration:
    """What the sending service tells dlrdash when it submits a message the provider's
    reports will not describe fully: Wavix reports carry no submit time (`sent` is when
    Wavix sent it on), so the demo registers those messages as a customer would
    (`POST /api/v1/messages/`, `deliveries.registration.messages_register`)."""

    row: dict[str, Any]
    when: datetime


class TrafficGenerator:
    def __init__(
        self,
        *,
        seed: int | None = None,
        now: datetime | None = None,
        spread_hours: float = 48,
        duplicate_rate: float = 0.05,
        out_of_order_rate: float = 0.05,
        wavix_share: float = 0.15,
        infobip_share: float = 0.0,
        degrade: Degradation | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.now = now or datetime.now(tz=UTC)
        self.spread = timedelta(hours=spread_hours)
        self.duplicate_rate = duplicate_rate
        self.out_of_order_rate = out_of_order_rate
        self.wavix_share = wavix_share
        self.infobip_share = infobip_share
        self.degrade = degrade
        # Every message generated, in order (`simulation_conversions` reads it).
        self.sent: list[SentMessage] = []
        # Filled by requests(): one per Wavix message, in no particular order.
        self.registrations: list[SimulatedRegistration] = []

    def requests(self, messages: int) -> list[SimulatedRequest]:
        """Every request for `messages` first-attempt messages (fallbacks come on top)."""
        out: list[SimulatedRequest] = []
        for _ in range(messages):
            out.extend(self._journey())
        out.sort(key=lambda r: r.when)
        return out

    def _journey(self) -> list[SimulatedRequest]:
        rng = self.rng
        prefix = rng.choices([c[1] for c in CAMPAIGNS], CAMPAIGN_WEIGHTS)[0]
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        if prefix == "otp_":
            channel = "sms"  # OTPs start on SMS and fall back to WhatsApp, then Voice
        plan = Plan(
            provider="smstake",
            channel=channel,
            message_id="",
            to="+91" + rng.choice("6789") + "".join(rng.choices(string.digits, k=9)),
            client_ref=prefix + "".join(rng.choices(string.ascii_lowercase + string.digits, k=8)),
            operator=rng.choices(OPERATORS, OPERATOR_WEIGHTS)[0],
            template=rng.choice(DLT_TEMPLATES),
            # More recent hours are busier, like real traffic growing through the day.
            submitted=self.now - self.spread * (rng.random() ** 1.6) - timedelta(minutes=2),
        )
        if channel == "sms" and rng.random() < self.wavix_share:
            plan.provider = "wavix"
        # Drawn only when asked for, so seeded traffic without Infobip stays as it was.
        elif channel == "sms" and self.infobip_share and rng.random() < self.infobip_share:
            plan.provider = "infobip"
        out: list[SimulatedRequest] = []
        for fallback in (None, "whatsapp", "voice"):
            if fallback:
                plan.channel = fallback
                plan.submitted += timedelta(seconds=rng.uniform(30, 90))
                plan.provider = "smstake"
            plan.message_id = (
                str(uuid.UUID(int=rng.getrandbits(128)))
                if plan.provider == "wavix"
                else "msg_" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=10))
            )
            final, requests = self._message(plan)
            out.extend(requests)
            self.sent.append(
                SentMessage(
                    plan.client_ref,
                    plan.provider,
                    plan.message_id,
                    plan.operator,
                    plan.channel,
                    final,
                    max(r.when for r in requests),
                )
            )
            if plan.provider == "wavix":
                self.registrations.append(_registration(plan))
            failed = final not in ("delivered", "read", "answered")
            if not (prefix == "otp_" and failed and rng.random() < 0.7):
                break
        return out

    def _message(self, plan: Plan) -> tuple[str | None, list[SimulatedRequest]]:
        rng = self.rng
        finals = {"sms": SMS_FINALS, "voice": VOICE_FINALS}.get(plan.channel, CHAT_FINALS)
        if self._degraded(plan):  # only ever true with a degradation set
            finals = [SMS_FINALS[0]] if rng.random() < self.degrade.rate else DEGRADED_FINALS  # type: ignore[union-attr]
        final, code, error_code, error_message, _ = rng.choices(finals, [f[4] for f in finals])[0]
        sent_at = plan.submitted + timedelta(seconds=rng.uniform(0.2, 2))
        done_at = sent_at + timedelta(seconds=min(rng.lognormvariate(1.6, 0.9), 3600))
        steps: list[tuple[str, str, datetime, str | None, str | None]] = []
        if plan.provider == "smstake" and rng.random() < 0.5:
            steps.append(("submitted", "ACCEPTD", plan.submitted, None, None))
        steps.append(("sent", "ENROUTE", sent_at, None, None))
        if final:
            steps.append((final, code or "", done_at, error_code, error_message))
        if final == "delivered" and plan.channel in ("whatsapp", "rcs") and rng.random() < 0.6:
            read_at = done_at + timedelta(seconds=rng.uniform(5, 1800))
            steps.append(("read", "READ", read_at, None, None))
        requests = [self._request(plan, *step) for step in steps]
        requests = [r for r in requests if r.when <= self.now] or requests[:1]
        if len(requests) > 1 and rng.random() < self.out_of_order_rate:
            # The final report overtakes the interim one: it is sent first.
            first, last = requests[-2], requests[-1]
            requests[-2] = SimulatedRequest(last.provider, last.body, first.when)
            requests[-1] = SimulatedRequest(first.provider, first.body, last.when)
        if rng.random() < self.duplicate_rate:
            again = rng.choice(requests)
            requests.append(SimulatedRequest(again.provider, again.body, again.when))
        return final, requests

    def _degraded(self, plan: Plan) -> bool:
        d = self.degrade
        return (
            d is not None
            and plan.provider == d.provider
            and plan.operator == d.operator
            and plan.submitted >= self.now - timedelta(minutes=d.minutes)
        )

    def _request(
        self,
        plan: Plan,
        status: str,
        code: str,
        when: datetime,
        error_code: str | None,
        error_message: str | None,
    ) -> SimulatedRequest:
        if plan.provider == "wavix":
            payload = wavix_payload(plan, status, when, error_code, error_message)
        elif plan.provider == "infobip":
            payload = infobip_payload(plan, status, when, error_code, error_message)
        else:
            payload = smstake_payload(plan, status, code, when, error_code, error_message)
            if plan.channel == "voice" and status in ("answered", "no-answer", "busy"):
                payload["call_duration"] = self.rng.randint(8, 95) if status == "answered" else 0
        body = json.dumps(payload, separators=(", ", ": ")).encode()
        return SimulatedRequest(plan.provider, body, when)


def _registration(plan: Plan) -> SimulatedRegistration:
    row = {
        "provider": plan.provider,
        "message_id": plan.message_id,
        "to": plan.to,
        "channel": plan.channel,
        "client_ref": plan.client_ref,
        "operator": plan.operator,
        "submitted_at": plan.submitted,
    }
    return SimulatedRegistration(row=row, when=plan.submitted)


@contextmanager
def clock_at(when: datetime) -> Iterator[None]:
    """Django's clock (`timezone.now`, which every model and service here reads) says
    `when` inside the block: a replay stores each report as if it had arrived at its own
    time, so two days of traffic posted in a minute are dated over the two days."""
    real = django_timezone.now
    django_timezone.now = lambda: when
    try:
        yield
    finally:
        django_timezone.now = real


def smstake_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
