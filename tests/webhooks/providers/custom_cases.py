"""The custom adapter as the shared suites drive it: one representative mapping per
authentication kind, each named `custom:<kind>`.

`reseller` reads a GET callback as Indian SMS resellers send them
(tests/fixtures/custom/reseller_delivered.txt); `batch` a JSON list of reports
(tests/fixtures/custom/batch.json).
"""

from typing import Any

RESELLER: dict[str, Any] = {
    "provider_name": "acme-reseller",
    "methods": ["GET"],
    "format": "query",
    "fields": {
        "message_id": "msgid",
        "status": "status",
        "error_code": "err",
        "to": "mobile",
        "sender": "sender",
        "operator": "operator",
        "submitted_at": "stime",
        "done_at": "dtime",
    },
    "time_format": "strftime",
    "time_pattern": "%Y-%m-%d %H:%M:%S",
    "time_zone": "Asia/Kolkata",
    "statuses": {
        "DELIVRD": "delivered",
        "UNDELIV": "undelivered",
        "EXPIRED": "expired",
        "REJECTD": "rejected",
        "SUBMITTED": "submitted",
    },
    "auth": {"kind": "token"},
}
BATCH: dict[str, Any] = {
    "provider_name": "acme-json",
    "methods": ["POST"],
    "format": "json",
    "reports_path": "data.items",
    "fields": {
        "message_id": "id",
        "status": "state",
        "error_code": "error.code",
        "error_text": "error.text",
        "to": "recipient",
        "operator": "network",
        "client_ref": "ref",
        "submitted_at": "times.submitted",
        "done_at": "times.done",
        "price": "cost.amount",
        "currency": "cost.currency",
    },
    "time_format": "epoch_s",
    "statuses": {
        "DELIVERED": "delivered",
        "EXPIRED": "expired",
        "FAILED": "failed",
        "ACCEPTED": "submitted",
    },
    "auth": {
        "kind": "hmac",
        "header": "X-Gateway-Signature",
        "algorithm": "sha256",
        "encoding": "hex",
        "prefix": "sha256=",
    },
}

# case → (mapping, how the sample is sent, its fixture)
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "custom:token": (RESELLER, "GET", "reseller_delivered.txt"),
    "custom:basic": (
        {
            **RESELLER,
            "methods": ["GET", "POST"],
            "format": "form",
            "auth": {"kind": "basic", "username": "acme"},
        },
        "POST",
        "reseller_delivered.txt",
    ),
    "custom:hmac": (BATCH, "POST", "batch.json"),
    # A header named like nothing secret, base64 SHA-512 over "<timestamp>:<body>".
    "custom:hmac_timestamp": (
        {
            **BATCH,
            "auth": {
                "kind": "hmac",
                "header": "X-Auth-Hash",
                "algorithm": "sha512",
                "encoding": "base64",
                "timestamp_header": "X-Auth-Time",
                "timestamp_separator": ":",
                "tolerance": 300,
            },
        },
        "POST",
        "batch.json",
    ),
}


def provider_of(case: str) -> str:
    """The adapter a suite case runs: `custom:hmac` → `custom`."""
    return case.partition(":")[0]


def slug_of(case: str) -> str:
    return case.replace(":", "-").replace("_", "-")


def mapping_of(case: str) -> dict[str, Any]:
    return CASES[case][0] if case in CASES else {}


def recorded_as(case: str) -> str:
    """The provider name the case's reports are recorded under."""
    return str(mapping_of(case).get("provider_name") or case)


def case_for_fixture(provider: str, name: str) -> str:
    """The suite case that reads fixture `name` of `provider` (a custom fixture needs a
    mapping: the reseller's for its GET callbacks, the JSON one for `batch.json`)."""
    if provider != "custom":
        return provider
    return "custom:hmac" if name.endswith(".json") else "custom:token"
