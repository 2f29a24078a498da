"""JSON log lines (LOG_FORMAT=json) for log shippers, with the ids support traces by."""

import json
import logging

# Context our log calls attach with `extra=`: grep or filter a request's whole story by it.
CONTEXT_FIELDS = ("inbound_event", "endpoint", "provider", "attempt")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)
