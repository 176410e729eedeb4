"""The message context: which request or event caused the work under way.

Every HTTP request and every consumed event runs inside a `MessageContext`: a correlation
id shared by everything one user action sets off, the id of the event that caused this work
(causation), and a W3C `traceparent`. Units of work copy it into each outbox row they write,
so it travels with the event, and logs print it. A `ContextVar` carries it, so concurrent
requests and handlers never see each other's.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

from petpro_core.shared.ids import new_id

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
_MAX_CORRELATION_ID = 200


# Trace and span ids must be random, not secret (W3C Trace Context): a fast generator,
# seeded from the OS, costs a fraction of `secrets` on the consumer's per-event path.
_ids = random.Random(os.urandom(16))  # noqa: S311 - ids, not secrets
# A forked worker must not repeat its parent's ids.
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(16)))


def _span_id() -> str:
    return f"{_ids.getrandbits(64) or 1:016x}"


def new_traceparent() -> str:
    """A new trace with a sampled root span."""
    return f"00-{_ids.getrandbits(128) or 1:032x}-{_span_id()}-01"


def child_traceparent(parent: str | None) -> str:
    """A new span in the trace of `parent`; a new trace if `parent` is missing or invalid."""
    match = _TRACEPARENT.match(parent or "")
    if match is None or match.group(1) == _ZERO_TRACE or match.group(2) == _ZERO_SPAN:
        return new_traceparent()
    return f"00-{match.group(1)}-{_span_id()}-{match.group(3)}"


def valid_traceparent(value: str | None) -> bool:
    match = _TRACEPARENT.match(value or "")
    return match is not None and match.group(1) != _ZERO_TRACE and match.group(2) != _ZERO_SPAN


def clean_correlation_id(value: str | None) -> str:
    """A caller's correlation id if it is short printable ASCII (it goes into HTTP headers),
    else a new one."""
    if (
        value
        and len(value) <= _MAX_CORRELATION_ID
        and value.isascii()
        and value.isprintable()
        and value.strip()
    ):
        return value.strip()
    return str(new_id())


@dataclass(frozen=True, slots=True)
class MessageContext:
    correlation_id: str
    traceparent: str
    causation_id: str | None = None

    @classmethod
    def start(
        cls, correlation_id: str | None = None, traceparent: str | None = None
    ) -> MessageContext:
        """The context of a new unit of work from outside (an HTTP request, a CLI command)."""
        return cls(
            correlation_id=clean_correlation_id(correlation_id),
            traceparent=child_traceparent(traceparent),
        )

    def caused_by(self, event_id: UUID | str) -> MessageContext:
        """The context of work done because of the event `event_id`, which carried this context."""
        return MessageContext(
            correlation_id=self.correlation_id,
            traceparent=child_traceparent(self.traceparent),
            causation_id=str(event_id),
        )

    def as_headers(self) -> dict[str, str]:
        headers = {"correlation_id": self.correlation_id, "traceparent": self.traceparent}
        if self.causation_id is not None:
            headers["causation_id"] = self.causation_id
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, object] | None) -> MessageContext | None:
        if not headers or not isinstance(headers.get("correlation_id"), str):
            return None
        causation = headers.get("causation_id")
        traceparent = headers.get("traceparent")
        return cls(
            correlation_id=str(headers["correlation_id"]),
            traceparent=traceparent if isinstance(traceparent, str) else new_traceparent(),
            causation_id=causation if isinstance(causation, str) else None,
        )


_current: ContextVar[MessageContext | None] = ContextVar("petpro_message_context", default=None)


def current_context() -> MessageContext | None:
    return _current.get()


@contextmanager
def message_context(context: MessageContext) -> Iterator[MessageContext]:
    """Run the block inside `context` (restored afterwards, also on errors)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
