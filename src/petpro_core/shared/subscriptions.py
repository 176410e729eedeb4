"""Subscriptions: how a context reacts to other contexts' events, exactly once.

A subscribing context names its consumer (one consumer group per context) and one handler
per event type it consumes. A handler receives the event and the context's open unit of
work; it changes state through the unit of work's repositories and never commits: the
consumer runtime commits the effects of a whole batch of events together with their inbox
rows, so a redelivered event finds its inbox row and is skipped (exactly-once effect on
at-least-once delivery).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from petpro_core.shared.events import Event
from petpro_core.shared.unit_of_work import UnitOfWork


class Inbox(Protocol):
    async def claim(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        """Record the events as handled by `consumer` in the current transaction; answer the
        ids not recorded before (the ones to handle now)."""
        ...

    async def prune(self, handled_before: datetime) -> int:
        """Forget events handled before the instant (older than any possible redelivery or
        replay); answer how many."""
        ...


class InboxUnitOfWork(UnitOfWork, Protocol):
    inbox: Inbox


EventHandler = Callable[[Any, Any], Awaitable[None]]  # (event, unit of work) -> None


@dataclass(frozen=True)
class Subscription:
    """What one consumer (a context's consumer group) handles, and the unit of work it uses."""

    consumer: str
    unit_of_work: Callable[[], InboxUnitOfWork]
    handlers: Mapping[type[Event], EventHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.consumer.isidentifier():
            raise ValueError(f"consumer names are identifiers, not {self.consumer!r}")

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(sorted({event_type.NAME for event_type in self.handlers}))

    def handler_for(self, event: Event) -> EventHandler | None:
        return self.handlers.get(type(event))
