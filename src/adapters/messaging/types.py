"""Values that cross the messaging ports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One claimed outbox row, ready for the broker.

    `topic` is the event name (`pet.created`): all versions of one event share a stream.
    `body` is the CloudEvents 1.0 structured-mode JSON of the event.
    """

    event_id: UUID
    position: int
    topic: str
    event_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message handed to a consumer. `stream` and `message_id` identify it in the broker
    (for acks); `deliveries` counts how often it was handed out, 1 the first time."""

    stream: str
    message_id: str
    body: bytes
    deliveries: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message a consumer group gave up on after its last delivery, with the reason."""

    dead_letter_id: str
    group: str
    stream: str
    message_id: str
    body: bytes
    error: str
    deliveries: int
    dead_at: datetime


@dataclass(frozen=True, slots=True)
class GroupLag:
    """`pending`: delivered, not yet acknowledged. `lag`: not yet delivered to the group
    (None when the broker cannot tell, e.g. after the stream was trimmed)."""

    group: str
    stream: str
    pending: int
    lag: int | None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    context: str
    pending: int
    oldest_pending_at: datetime | None
    published: int


@dataclass(frozen=True, slots=True)
class RelayCheckpoint:
    """What a relay keeps across restarts: its last safe point (every group had consumed and
    acknowledged everything published before it) and the broker identity it saw then."""

    safe_point: datetime
    broker_identity: str | None
