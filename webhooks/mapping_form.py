"""The custom provider's mapping as admin form fields: one field per setting, so an
administrator fills in names and picks from lists instead of writing JSON, and a mistake
is reported on the field it concerns (`custom_mapping.MappingError` names it)."""

from typing import Any

from django import forms

from deliveries.status import Status

from .mappings import mapping_validate
from .providers.custom import CustomProvider
from .providers.custom_mapping import (
    ALGORITHMS,
    CHANNELS,
    ENCODINGS,
    FIELDS,
    METHODS,
    TIME_FORMATS,
    MappingError,
)

_FIELD_HELP = {
    "message_id": "Required. e.g. msgid, or data.id in a JSON body.",
    "status": "Required. The gateway's status word or code, mapped below.",
    "done_at": "When the final status happened (the delivery time).",
    "submitted_at": "When the gateway took the message.",
    "to": "The recipient's number.",
    "price": "Shown in the sample check; recorded once reports carry a cost.",
}


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


def _text(label: str, help_text: str = "", **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, help_text=help_text, **kwargs)


def _declared() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        "map_provider_name": _text(
            "recorded as provider",
            "The gateway's name, as its messages are listed (e.g. acme-sms); "
            "empty: the endpoint's slug.",
        ),
        "map_methods": forms.MultipleChoiceField(
            label="methods",
            required=False,
            choices=_choices(METHODS),
            widget=forms.CheckboxSelectMultiple,
        ),
        "map_format": forms.ChoiceField(
            label="format",
            required=False,
            choices=[
                ("json", "JSON body"),
                ("form", "form body (or the query string of a GET)"),
                ("query", "query string"),
            ],
        ),
        "map_reports_path": _text(
            "reports at",
            "JSON only. Empty: the body is one report (or a list of them); "
            "else the path to the list, e.g. data.items.",
        ),
    }
    for name in FIELDS:
        fields[f"map_fields_{name}"] = _text(name.replace("_", " "), _FIELD_HELP.get(name, ""))
    fields |= {
        "map_time_format": forms.ChoiceField(
            label="time format", required=False, choices=_choices(TIME_FORMATS)
        ),
        "map_time_pattern": _text("time pattern", "strftime only, e.g. %Y-%m-%d %H:%M:%S"),
        "map_time_zone": _text("time zone", "Of times without an offset, e.g. Asia/Kolkata."),
        "map_default_channel": forms.ChoiceField(
            label="channel", required=False, choices=_choices(CHANNELS)
        ),
        "map_statuses": _text(
            "statuses",
            "One per line: the gateway's value = a status ("
            + ", ".join(s.value for s in Status)
            + "). Case is ignored; a value not listed is recorded as unknown and counted "
            "under Unmapped statuses.",
            widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        ),
        "map_auth_kind": forms.ChoiceField(
            label="authentication",
            required=False,
            choices=[
                ("token", "token: the secret as ?token= or the basic-auth password"),
                ("basic", "basic auth: the user name below, the secret as password"),
                ("hmac", "HMAC of the body in a header, keyed by the secret"),
            ],
        ),
        "map_auth_username": _text("basic-auth user", "Empty: any user name."),
        "map_auth_header": _text("signature header", "e.g. X-Signature"),
        "map_auth_algorithm": forms.ChoiceField(
            label="algorithm", required=False, choices=_choices(ALGORITHMS), initial="sha256"
        ),
        "map_auth_encoding": forms.ChoiceField(
            label="encoding", required=False, choices=_choices(ENCODINGS)
        ),
        "map_auth_prefix": _text("signature prefix", 'e.g. "sha256=" (optional)'),
        "map_auth_timestamp_header": _text(
            "timestamp header",
            "Optional: then what is signed is this header's value, the separator, then the body.",
        ),
        "map_auth_timestamp_separator": _text("separator", strip=False, initial="."),
        "map_auth_tolerance": forms.IntegerField(
            label="tolerance (s)", required=False, initial=300, min_value=1, max_value=86400
        ),
    }
    return fields


MappingFields = type("MappingFields", (forms.Form,), _declared())
MAPPING_FIELD_NAMES = list(MappingFields.base_fields)  # type: ignore[attr-defined]


def mapping_initial(mapping: dict[str, Any]) -> dict[str, Any]:
    """The form's initial values for a stored mapping."""
    if not mapping:
        return {"map_methods": ["POST"], "map_auth_tolerance": 300}
    auth = mapping.get("auth") or {}
    initial = {
        f"map_{key}": mapping.get(key, "")
        for key in ("provider_name", "format", "reports_path", "time_format", "time_pattern")
    }
    initial |= {
        "map_time_zone": mapping.get("time_zone", ""),
        "map_default_channel": mapping.get("default_channel", "sms"),
        "map_methods": mapping.get("methods", ["POST"]),
        "map_statuses": "\n".join(f"{k} = {v}" for k, v in (mapping.get("statuses") or {}).items()),
    }
    initial |= {f"map_fields_{k}": v for k, v in (mapping.get("fields") or {}).items()}
    initial |= {f"map_auth_{k}": v for k, v in auth.items()}
    return initial


def mapping_from_form(form: forms.BaseForm, *, slug: str) -> dict[str, Any] | None:
    """The mapping the form describes, checked ({} when nothing is described yet); errors
    are added to the form's fields and None returned."""
    data = form.cleaned_data

    def value(name: str) -> str:
        return str(data.get(name) or "").strip()

    if not any(value(f"map_fields_{name}") for name in FIELDS) and not value("map_statuses"):
        # Nothing described yet: the endpoint is saved unmapped (it keeps what it receives,
        # to be reprocessed once the mapping is set).
        return {}
    statuses: dict[str, str] = {}
    for number, line in enumerate(value("map_statuses").splitlines(), start=1):
        if not line.strip():
            continue
        raw, sep, target = line.rpartition("=")
        if not sep or not raw.strip():
            form.add_error("map_statuses", f"line {number}: write it as VALUE = status")
            continue  # the other fields are still checked, so every mistake shows at once
        statuses[raw.strip()] = target.strip()
    kind = value("map_auth_kind") or "token"
    auth: dict[str, Any] = {"kind": kind}
    if value("map_auth_username"):
        auth["username"] = value("map_auth_username")
    if kind == "hmac":
        auth |= {
            key: value(f"map_auth_{key}")
            for key in ("header", "algorithm", "encoding", "prefix", "timestamp_header")
        }
        auth["timestamp_separator"] = data.get("map_auth_timestamp_separator") or "."
        auth["tolerance"] = data.get("map_auth_tolerance") or 300
    mapping: dict[str, Any] = {
        "provider_name": value("map_provider_name") or slug.lower(),
        "methods": data.get("map_methods") or ["POST"],
        "format": value("map_format") or "json",
        "reports_path": value("map_reports_path"),
        "fields": {n: value(f"map_fields_{n}") for n in FIELDS if value(f"map_fields_{n}")},
        "time_format": value("map_time_format") or "iso8601",
        "time_pattern": value("map_time_pattern"),
        "time_zone": value("map_time_zone") or "UTC",
        "statuses": statuses,
        "default_channel": value("map_default_channel") or "sms",
        "auth": auth,
    }
    try:
        mapping_validate(mapping)
    except MappingError as exc:
        for key, messages in exc.errors.items():
            name = "map_" + key.replace(".", "_")
            for message in messages:
                if name in form.fields:
                    form.add_error(name, message)
                else:
                    form.add_error(None, f"{key}: {message}")
        return None
    return None if form.has_error("map_statuses") else mapping


def mapping_fieldsets(provider: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The admin's fieldsets for the mapping: on a custom endpoint, and (folded) on the add
    page, where the provider is still to be chosen."""
    if provider not in (None, CustomProvider.name):
        return []
    classes = ["collapse"] if provider is None else []
    fields = MAPPING_FIELD_NAMES
    first_auth = fields.index("map_auth_kind")
    first_time = fields.index("map_time_format")
    note = (
        "Only for the custom provider: where the gateway puts each field — a parameter "
        "name, or in a JSON body a dotted path such as data.id or results.0.id."
    )
    return [
        (
            "Mapping: where each field is",
            {"fields": fields[:first_time], "classes": classes, "description": note},
        ),
        (
            "Mapping: times and statuses",
            {"fields": fields[first_time:first_auth], "classes": classes},
        ),
        ("Mapping: authentication", {"fields": fields[first_auth:], "classes": classes}),
    ]
