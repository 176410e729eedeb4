"""Encode core events (frozen dataclasses) to JSON-able payloads and back, with pydantic.

The payload is the event's own fields in JSON mode: UUIDs and Decimals as strings, dates
and datetimes in ISO 8601. `OutboxEnvelope` adds the row fields an outbox stores next to
the payload; `adapters.codec.cloudevents` wraps payloads in CloudEvents for the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import TypeAdapter

from petpro_core.shared.events import Event

E = TypeVar("E", bound=Event)


_ADAPTERS: dict[type[Event], TypeAdapter[Any]] = {}


def _adapter(event_type: type[Event]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(event_type)
    if adapter is None:
        adapter = _ADAPTERS[event_type] = TypeAdapter(event_type)
    return adapter


def encode_payload(event: Event) -> dict[str, Any]:
    """The event's fields as a JSON-able dict (JSON mode)."""
    payload = _adapter(type(event)).dump_python(event, mode="json")
    if not isinstance(payload, dict):  # pragma: no cover - events are dataclasses
        raise TypeError(f"{type(event).__name__} did not encode to an object")
    return payload


def decode_payload(event_type: type[E], payload: Mapping[str, Any]) -> E:
    """Rebuild an event from its payload; validation errors propagate (pydantic.ValidationError)."""
    event = _adapter(event_type).validate_python(dict(payload))
    if not isinstance(event, event_type):  # pragma: no cover - the adapter builds event_type
        raise TypeError(f"payload did not decode to {event_type.__name__}")
    return event


def event_types_by_name(event_types: Iterable[type[Event]]) -> dict[str, type[Event]]:
    """Index event classes by their type name (`petpro.user.created.v1`) for decoding."""
    index: dict[str, type[Event]] = {}
    for event_type in event_types:
        name = event_type.type_name()
        if index.setdefault(name, event_type) is not event_type:
            raise ValueError(f"two event classes share the type {name}")
    return index


@dataclass(frozen=True, slots=True)
class OutboxEnvelope:
    """The fields of one outbox row."""

    event_id: UUID
    event_type: str
    event_name: str
    event_version: int
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> OutboxEnvelope:
        return cls(
            event_id=event.event_id,
            event_type=event.type_name(),
            event_name=event.NAME,
            event_version=event.VERSION,
            aggregate_type=event.AGGREGATE,
            aggregate_id=event.aggregate_id,
            aggregate_version=event.aggregate_version,
            occurred_at=event.occurred_at,
            payload=encode_payload(event),
        )

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "event_type": self.event_type,
            "event_name": self.event_name,
            "event_version": self.event_version,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "aggregate_version": self.aggregate_version,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }
