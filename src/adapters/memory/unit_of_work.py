"""A transactional in-memory store: each unit of work edits a copy and swaps it in on commit.

Units of work on one store run one at a time (an asyncio lock), which makes them
serializable; a rollback simply drops the copy. States hold immutable values (frozen
dataclasses), so a copy only has to copy the containers: see `State.clone`.

Committed events go to the store's outbox, with what the relay needs next to them (position,
timestamps, commit news): see `adapters.memory.outbox_store`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

from adapters.messaging.types import RelayCheckpoint
from petpro_core.shared.events import Event
from petpro_core.shared.tracing import current_context


class Cloneable(Protocol):
    def clone(self) -> Self:
        """A copy whose containers can change without touching the original."""
        ...


State = TypeVar("State", bound=Cloneable)


@dataclass
class OutboxRow:
    """What the SQL outbox row adds to an event: its place in line and its timestamps."""

    position: int
    created_at: datetime
    published_at: datetime | None = None


class OutboxNews:
    """Counts outbox commits and wakes whoever waits for the next one, so an in-process relay
    sees a commit at once (`SqlDatabase.announce_outbox_commit` does the same for SQL)."""

    def __init__(self) -> None:
        self.commits = 0
        # One Event per wait, so none outlives the event loop it waited in.
        self._waiters: set[asyncio.Event] = set()

    def announce(self) -> None:
        self.commits += 1
        for waiter in self._waiters:
            waiter.set()
        self._waiters.clear()

    async def wait(self, *, after: int, seconds: float) -> None:
        """Return once more than `after` commits were announced, or after `seconds`."""
        if self.commits != after:
            return
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), seconds)
        finally:
            self._waiters.discard(waiter)


@dataclass
class InMemoryStore(Generic[State]):
    state: State
    # Committed events in commit order; the relay's bookkeeping is in `outbox_rows`.
    outbox: list[Event] = field(default_factory=list)
    # The message context each outbox event was recorded in, by event id.
    outbox_headers: dict[UUID, dict[str, str]] = field(default_factory=dict)
    outbox_rows: dict[UUID, OutboxRow] = field(default_factory=dict)
    outbox_news: OutboxNews = field(default_factory=OutboxNews)
    last_outbox_position: int = 0
    relay_checkpoint: RelayCheckpoint | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # One relay batch at a time (SQL relays share rows with SKIP LOCKED instead).
    relay_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def append_to_outbox(
        self, events: Sequence[Event], headers: Mapping[UUID, dict[str, str]]
    ) -> None:
        """Commit `events` to the outbox, as a unit of work's commit writes its rows."""
        if not events:
            return
        created_at = datetime.now(UTC)
        for event in events:
            self.last_outbox_position += 1
            self.outbox_rows[event.event_id] = OutboxRow(self.last_outbox_position, created_at)
        self.outbox.extend(events)
        self.outbox_headers.update(headers)
        self.outbox_news.announce()


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
        self._store.append_to_outbox(self._pending, self._headers)
        self._pending = []
        self._headers = {}
        self._working = self._store.state.clone()
        self._bind(self._working)

    async def rollback(self) -> None:
        self._working = self._store.state.clone()
        self._pending = []
        self._headers = {}
        self._bind(self._working)
