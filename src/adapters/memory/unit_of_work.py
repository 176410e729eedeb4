"""A transactional in-memory store: each unit of work edits a copy and swaps it in on commit.

Units of work on one store run one at a time (an asyncio lock), which makes them
serializable; a rollback simply drops the copy. States hold immutable values (frozen
dataclasses), so a copy only has to copy the containers: see `State.clone`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

from petpro_core.shared.events import Event
from petpro_core.shared.tracing import current_context


class Cloneable(Protocol):
    def clone(self) -> Self:
        """A copy whose containers can change without touching the original."""
        ...


State = TypeVar("State", bound=Cloneable)


@dataclass
class InMemoryStore(Generic[State]):
    state: State
    outbox: list[Event] = field(default_factory=list)
    # The message context each outbox event was recorded in, by event id.
    outbox_headers: dict[UUID, dict[str, str]] = field(default_factory=dict)
    # How many outbox events the relay has published (they are published in order).
    published_count: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class InMemoryUnitOfWork(Generic[State]):
    def __init__(self, store: InMemoryStore[State]) -> None:
        self._store = store
        self._working: State | None = None
        self._pending: list[Event] = []
        self._headers: dict[UUID, dict[str, str]] = {}

    @property
    def working(self) -> State:
        if self._working is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._working

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._working = self._store.state.clone()
        self._pending = []
        self._bind(self._working)
        return self

    def _bind(self, working: State) -> None:
        """Point the repositories at the working copy."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()
        self._store.lock.release()

    def record(self, *events: Event) -> None:
        self._pending.extend(events)
        context = current_context()
        if context is not None:
            self._headers.update({event.event_id: context.as_headers() for event in events})

    async def commit(self) -> None:
        self._store.state = self.working
        self._store.outbox.extend(self._pending)
        self._store.outbox_headers.update(self._headers)
        self._pending = []
        self._headers = {}
        self._working = self._store.state.clone()
        self._bind(self._working)

    async def rollback(self) -> None:
        self._working = self._store.state.clone()
        self._pending = []
        self._headers = {}
        self._bind(self._working)
