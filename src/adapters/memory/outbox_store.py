"""The OutboxStore port over an in-memory store: what `adapters.sql.outbox_store` does with
SQL, for unit tests and the all-in-one `petpro serve` without a database.

Claims take the store's relay lock, so one batch is out at a time; marks take effect when
the claim ends normally, like a commit. Bodies are the same CloudEvents the SQL store builds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from adapters.codec.cloudevents import encode_event
from adapters.memory.unit_of_work import InMemoryStore
from adapters.messaging.types import OutboxRecord, OutboxStatus, RelayCheckpoint
from petpro_core.shared.events import Event


class InMemoryOutboxBatch:
    def __init__(self, records: Sequence[OutboxRecord]) -> None:
        self.records = records
        self.marked_at: datetime | None = None

    async def mark_published(self) -> None:
        self.marked_at = datetime.now(UTC)


class InMemoryOutboxStore:
    def __init__(self, store: InMemoryStore[Any], context: str) -> None:
        self.context = context
        self._store = store
        # Commits announced when the last claim began: a later count means news.
        self._commits_seen = store.outbox_news.commits

    def _unpublished(self) -> Iterator[Event]:
        rows = self._store.outbox_rows
        return (event for event in self._store.outbox if rows[event.event_id].published_at is None)

    @asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[InMemoryOutboxBatch]:
        async with self._store.relay_lock:
            self._commits_seen = self._store.outbox_news.commits
            events = list(islice(self._unpublished(), limit))
            batch = InMemoryOutboxBatch([self._record(event) for event in events])
            yield batch  # an exception here leaves every event unpublished
            if batch.marked_at is not None:
                for event in events:
                    self._store.outbox_rows[event.event_id].published_at = batch.marked_at

    def _record(self, event: Event) -> OutboxRecord:
        body = encode_event(
            event, context=self.context, headers=self._store.outbox_headers.get(event.event_id)
        )
        return OutboxRecord(
            event_id=event.event_id,
            position=self._store.outbox_rows[event.event_id].position,
            topic=event.NAME,
            event_type=event.type_name(),
            body=body,
        )

    async def wait_for_new(self, seconds: float) -> None:
        await self._store.outbox_news.wait(after=self._commits_seen, seconds=seconds)

    async def status(self) -> OutboxStatus:
        rows = self._store.outbox_rows.values()
        pending = [row.created_at for row in rows if row.published_at is None]
        return OutboxStatus(
            context=self.context,
            pending=len(pending),
            oldest_pending_at=min(pending, default=None),
            published=len(rows) - len(pending),
        )

    async def prune(self, created_before: datetime) -> int:
        rows = self._store.outbox_rows
        pruned = {
            event_id
            for event_id, row in rows.items()
            if row.published_at is not None and row.created_at < created_before
        }
        if pruned:
            self._store.outbox[:] = [e for e in self._store.outbox if e.event_id not in pruned]
            for event_id in pruned:
                del rows[event_id]
                self._store.outbox_headers.pop(event_id, None)
        return len(pruned)

    async def requeue(self, published_since: datetime) -> int:
        requeued = 0
        for row in self._store.outbox_rows.values():
            if row.published_at is not None and row.published_at >= published_since:
                row.published_at = None
                requeued += 1
        return requeued

    async def load_checkpoint(self) -> RelayCheckpoint | None:
        return self._store.relay_checkpoint

    async def save_checkpoint(self, checkpoint: RelayCheckpoint) -> None:
        self._store.relay_checkpoint = checkpoint

    async def close(self) -> None:
        """Nothing to release."""
