"""multipart/form-data bodies, for the providers that post callbacks that way."""

import email
from email.message import Message

from .base import InboundRequest


def multipart_fields(request: InboundRequest) -> dict[str, str]:
    """The text fields of a multipart/form-data body (the first of each name); files and
    anything unreadable are left out. The boundary comes from the Content-Type header."""
    # WSGI hands headers over as latin-1 text: back to the bytes that were sent.
    header = request.header("content-type").encode("latin-1", "replace")
    message = email.message_from_bytes(b"Content-Type: " + header + b"\r\n\r\n" + request.body)
    fields: dict[str, str] = {}
    for part in message.get_payload() if message.is_multipart() else []:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        value = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(value, bytes):
            fields.setdefault(name, value.decode("utf-8", "replace").strip())
    return fields
