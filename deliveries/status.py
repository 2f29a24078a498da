"""The canonical status vocabulary, as data.

Pure Python, no database: every provider adapter maps its own strings onto these values,
and the apply service uses `PRECEDENCE` to decide a message's current status.

The current status of a message is the event status with the highest rank, so it is a
function of the *set* of reports and never of their arrival order. Ranks are unique, which
makes the choice deterministic even when a message has contradictory reports:

- interim statuses rank below every final one, so a late `sent` never undoes `delivered`;
- positive finals (delivered, answered, read) rank above negative ones: a route that
  reports `undelivered` and later retries successfully ends `delivered`;
- `unknown` (a provider string we cannot map) ranks lowest: it is recorded in the history
  but never hides a status we understand.
"""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    UNKNOWN = "unknown"
    QUEUED = "queued"
    SUBMITTED = "submitted"
    SENT = "sent"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    REJECTED = "rejected"
    DELIVERED = "delivered"
    ANSWERED = "answered"
    READ = "read"


class Outcome(StrEnum):
    """What applying one report did to its message."""

    APPLIED = "applied"  # recorded; the message's status is (now) this report's status
    RECORDED = "recorded"  # recorded; same rank as the current status, nothing moved
    OUT_OF_ORDER = "out_of_order"  # recorded, but a higher-ranked report arrived first
    DUPLICATE = "duplicate"  # seen before; not recorded again


@dataclass(frozen=True)
class StatusInfo:
    rank: int
    final: bool
    kind: str  # "pending", "delivered" or "failed": the three numbers every dashboard shows
    label: str
    colour: str  # badge colour, a CSS colour keyword


STATUS_TABLE: dict[Status, StatusInfo] = {
    Status.UNKNOWN: StatusInfo(0, False, "pending", "Unknown", "grey"),
    Status.QUEUED: StatusInfo(10, False, "pending", "Queued", "slategrey"),
    Status.SUBMITTED: StatusInfo(20, False, "pending", "Submitted", "steelblue"),
    Status.SENT: StatusInfo(30, False, "pending", "Sent", "royalblue"),
    Status.UNDELIVERED: StatusInfo(40, True, "failed", "Undelivered", "darkorange"),
    Status.EXPIRED: StatusInfo(41, True, "failed", "Expired", "peru"),
    Status.NO_ANSWER: StatusInfo(42, True, "failed", "No answer", "darkorange"),
    Status.BUSY: StatusInfo(43, True, "failed", "Busy", "darkorange"),
    Status.FAILED: StatusInfo(44, True, "failed", "Failed", "firebrick"),
    Status.REJECTED: StatusInfo(45, True, "failed", "Rejected", "darkred"),
    Status.DELIVERED: StatusInfo(50, True, "delivered", "Delivered", "seagreen"),
    Status.ANSWERED: StatusInfo(51, True, "delivered", "Answered", "seagreen"),
    Status.READ: StatusInfo(60, True, "delivered", "Read", "darkgreen"),
}

PRECEDENCE: dict[str, int] = {status.value: info.rank for status, info in STATUS_TABLE.items()}
FINAL_STATUSES: frozenset[str] = frozenset(s.value for s, i in STATUS_TABLE.items() if i.final)
PENDING_STATUSES: frozenset[str] = frozenset(
    s.value for s, i in STATUS_TABLE.items() if i.kind == "pending"
)
DELIVERED_STATUSES: frozenset[str] = frozenset(
    s.value for s, i in STATUS_TABLE.items() if i.kind == "delivered"
)
FAILED_STATUSES: frozenset[str] = frozenset(
    s.value for s, i in STATUS_TABLE.items() if i.kind == "failed"
)
CHOICES: list[tuple[str, str]] = [(s.value, i.label) for s, i in STATUS_TABLE.items()]


def rank(status: str) -> int:
    return PRECEDENCE.get(status, 0)


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def info(status: str) -> StatusInfo:
    return STATUS_TABLE[Status(status) if status in PRECEDENCE else Status.UNKNOWN]


def current_status(statuses: "list[str] | set[str] | frozenset[str]") -> str:
    """The status a message has, given the statuses of all its reports."""
    return max(statuses, key=rank, default=Status.UNKNOWN.value)


def outcome_of(*, new: str, current: str | None) -> Outcome:
    """How a new, not-duplicate report relates to the message's current status."""
    if current is None or rank(new) > rank(current):
        return Outcome.APPLIED
    if rank(new) == rank(current):
        return Outcome.RECORDED
    return Outcome.OUT_OF_ORDER
