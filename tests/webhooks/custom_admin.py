"""What the custom-adapter admin tests share: an Administrator's client and the endpoint
form as one fills it in for a typical Indian SMS reseller."""

from django.test import Client

from ..factories import make_user

ENDPOINTS = "/admin/webhooks/webhookendpoint/"
SECRET = "reseller-token-0123456789"
# A typical Indian SMS reseller's DLR, as its documentation shows it: a GET, its own names.
RESELLER_QUERY = (
    "msgid=A1B2C3D4&status=DELIVRD&mobile=919876543210&dtime=2026-12-01%2010:15:00&err=000"
)


def administrator_client() -> Client:
    client = Client()
    client.force_login(make_user("Administrator"))
    return client


def endpoint_form(slug: str, **mapping: str | list[str]) -> dict[str, object]:
    """The add form as an Administrator fills it in: the endpoint, then the mapping."""
    fields: dict[str, object] = {
        "provider": "custom",
        "slug": slug,
        "active": "on",
        "allowed_ips": "",
        "add_secret": SECRET,
        "map_methods": ["GET"],
        "map_format": "query",
        "map_time_format": "iso8601",
        "map_default_channel": "sms",
        "map_auth_kind": "token",
        "map_auth_algorithm": "sha256",
        "map_auth_encoding": "hex",
        "map_auth_tolerance": "300",
        "map_auth_timestamp_separator": ".",
    }
    return fields | {f"map_{key}": value for key, value in mapping.items()}


RESELLER_FORM = {
    "provider_name": "acme-reseller",
    "fields_message_id": "msgid",
    "fields_status": "status",
    "fields_to": "mobile",
    "fields_done_at": "dtime",
    "fields_error_code": "err",
    "time_format": "strftime",
    "time_pattern": "%Y-%m-%d %H:%M:%S",
    "time_zone": "Asia/Kolkata",
    "statuses": "DELIVRD = delivered\nUNDELIV = undelivered\nEXPIRED = expired\nREJECTD = rejected",
}
