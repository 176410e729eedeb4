"""The wire format: CloudEvents 1.0, structured mode, JSON.

Attributes: `id` (the event id), `source` (`/petpro/<context>`), `type`
(`petpro.<name>.v<N>`), `time`, `subject` (the aggregate id), `dataschema` (the committed
JSON Schema of that version), `datacontenttype`; extensions `traceparent` (W3C distributed
tracing extension), `correlationid`, `causationid`, `aggregatetype`, `aggregateid`,
`aggregateversion`. `data` is the event payload as the outbox stored it.

Encoding splices the stored payload text in unchanged, so the relay never parses it.
Decoding resolves the type through the catalog and upcasts older versions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from adapters.codec.events import decode_payload, encode_payload
from petpro_core.contracts.catalog import UnknownEventType, resolve
from petpro_core.shared.events import Event
from petpro_core.shared.tracing import MessageContext, new_traceparent, valid_traceparent

SPEC_VERSION = "1.0"
SCHEMA_BASE_URI = "https://petpro.dev/schemas/events/"
_REQUIRED = ("specversion", "id", "source", "type")


class UndecodableMessage(ValueError):
    """A message that is not a CloudEvent of a known petpro event type with a valid payload."""


def source_for(context: str) -> str:
    return f"/petpro/{context}"


def dataschema_for(event_type: str) -> str:
    return f"{SCHEMA_BASE_URI}{event_type}.json"


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_cloudevent(
    *,
    event_id: UUID,
    event_type: str,
    context: str,
    occurred_at: datetime,
    aggregate_type: str,
    aggregate_id: UUID,
    aggregate_version: int,
    payload_json: str,
    headers: Mapping[str, Any] | None,
) -> bytes:
    """The CloudEvent for one outbox row; `payload_json` is the row's payload as JSON text."""
    headers = headers or {}
    attributes: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(event_id),
        "source": source_for(context),
        "type": event_type,
        "time": _rfc3339(occurred_at),
        "subject": str(aggregate_id),
        "dataschema": dataschema_for(event_type),
        "datacontenttype": "application/json",
        "aggregatetype": aggregate_type,
        "aggregateid": str(aggregate_id),
        "aggregateversion": aggregate_version,
    }
    if valid_traceparent(headers.get("traceparent")):
        attributes["traceparent"] = headers["traceparent"]
    if isinstance(headers.get("correlation_id"), str):
        attributes["correlationid"] = headers["correlation_id"]
    if isinstance(headers.get("causation_id"), str):
        attributes["causationid"] = headers["causation_id"]
    head = json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)
    return f'{head[:-1]},"data":{payload_json}}}'.encode()


def encode_event(
    event: Event,
    *,
    context: str,
    headers: Mapping[str, Any] | None,
    payload: Mapping[str, Any] | None = None,
) -> bytes:
    """The CloudEvent of an event published by `context`, recorded with `headers`
    (`payload`: the event's `encode_payload`, when the caller has it already)."""
    payload = encode_payload(event) if payload is None else payload
    return encode_cloudevent(
        event_id=event.event_id,
        event_type=event.type_name(),
        context=context,
        occurred_at=event.occurred_at,
        aggregate_type=event.AGGREGATE,
        aggregate_id=event.aggregate_id,
        aggregate_version=event.aggregate_version,
        payload_json=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """A decoded message: the event (current version) and the context it was published in."""

    event: Event
    context: MessageContext
    source: str
    event_type: str


def decode_cloudevent(body: bytes | str) -> ReceivedEvent:
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise UndecodableMessage("a CloudEvent is a JSON object")
    missing = [name for name in _REQUIRED if not isinstance(envelope.get(name), str)]
    if missing:
        raise UndecodableMessage(f"missing CloudEvents attributes: {', '.join(missing)}")
    if envelope["specversion"] != SPEC_VERSION:
        raise UndecodableMessage(f"unsupported specversion {envelope['specversion']!r}")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise UndecodableMessage("data must be a JSON object")
    try:
        event_class, payload = resolve(envelope["type"], data)
        event = decode_payload(event_class, payload)
    except UnknownEventType as exc:
        raise UndecodableMessage(str(exc)) from None
    except (ValidationError, ValueError, TypeError) as exc:
        raise UndecodableMessage(f"invalid {envelope['type']} payload: {exc}") from None
    if str(event.event_id) != envelope["id"]:
        raise UndecodableMessage("the CloudEvent id differs from the event id in data")
    traceparent = envelope.get("traceparent")
    correlation = envelope.get("correlationid")
    causation = envelope.get("causationid")
    context = MessageContext(
        correlation_id=correlation if isinstance(correlation, str) else envelope["id"],
        traceparent=traceparent
        if isinstance(traceparent, str) and valid_traceparent(traceparent)
        else new_traceparent(),
        causation_id=causation if isinstance(causation, str) else None,
    )
    return ReceivedEvent(event, context, envelope["source"], envelope["type"])
