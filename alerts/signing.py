"""Standard Webhooks signatures for every outgoing webhook: alerts and forwarded outcomes.

https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md:
`webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed by the
base64-decoded secret after its `whsec_` prefix. The same scheme our inbound adapter
`webhooks/providers/standard_webhooks.py` verifies; tests round-trip through it.
"""

import base64
import hashlib
import hmac
from collections.abc import Sequence


def signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    *, secret: str | Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers. With several secrets (rotation), one signature
    each, space-separated: a receiver holding any one of them verifies."""
    secrets = [secret] if isinstance(secret, str) else list(secret)
    signatures = [
        signature(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets
    ]
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
