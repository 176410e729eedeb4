"""Structured logs: one JSON object per line, with the message context of the work.

Every record carries the correlation id, causation id and traceparent of the request or
event being handled (from `petpro_core.shared.tracing`), so one user action can be followed
from the HTTP request through every consumer that handles its events.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from petpro_core.shared.tracing import current_context

_CONTEXT_FIELDS = ("correlation_id", "causation_id", "traceparent")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


class MessageContextFilter(logging.Filter):
    """Adds the current message context's fields to every record (empty outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_context()
        headers = context.as_headers() if context is not None else {}
        for name in _CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, headers.get(name))
        return True


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route `petpro.*` loggers (and uvicorn's) to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MessageContextFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    for name in ("petpro", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
