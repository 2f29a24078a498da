"""Forwarding's side of `dlrdash.outbound`: every attempt comes back as an `Answer`.

The HTTP and the SSRF guard are `dlrdash.outbound`'s (the same path as alert webhooks):
targets checked on save and at connect time, keep-alive pools and a concurrency bound per
target, 3 s to connect, 10 s in all, no redirects, a capped answer. Here, only what the
drain records: `post()` never raises; a refused target, a name that does not resolve, a
refused connection, a timeout or a TLS error come back with `status=None` and `error`
saying why in a class without addresses or ports (`refused=True` when the guard refused).
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass

from dlrdash import outbound

USER_AGENT = "dlrdash-forwarding/1"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # HTTP status, None when no answer came
    excerpt: bytes  # the first outbound.BODY_KEPT bytes of the answer's body
    latency_ms: float
    error: str = ""  # why there is no answer ("" when there is one)
    refused: bool = False  # the SSRF guard refused the target

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(*, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST `body` to `url`; any answer (a 3xx is not followed, and not a success) or why
    none came."""
    started = time.monotonic()
    try:
        response = outbound.exchange(url, body=body, headers={"User-Agent": USER_AGENT, **headers})
    except outbound.OutboundError as exc:
        refused = isinstance(exc, outbound.OutboundRefused)
        return Answer(None, b"", _ms(started), str(exc), refused=refused)
    return Answer(response.status, response.body, _ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
