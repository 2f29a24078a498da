"""What applying reports changed: handed to callers that act on status changes.

Pure data. `reports_apply(changes_into=…)` appends one `StatusChange` per applied report
(duplicates, out-of-order and same-rank reports change nothing and produce none), inside
its transaction, so a caller can write what it owes the change in that same transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .reports import DeliveryReport


@dataclass(frozen=True, slots=True)
class StatusChange:
    # The message row (attribute names) as the batch leaves it; read it, never write it.
    message: Mapping[str, Any]
    previous_status: str | None  # None: no report had set a status yet
    status: str
    first_final: bool  # the message's first final status
    report: DeliveryReport  # raw status and code, error, provider time
    occurred_at: datetime  # when dlrdash applied it

    @property
    def message_pk(self) -> int:
        return int(self.message["id"])
