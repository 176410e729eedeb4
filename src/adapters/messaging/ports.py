"""The ports of the event backbone. Implementations: `adapters.sql.outbox_store` and
`adapters.memory.outbox_store` (OutboxStore); `adapters.redis_streams.broker` and
`adapters.memory.streams` (Broker)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from adapters.messaging.types import (
    DeadLetter,
    Delivery,
    GroupLag,
    OutboxRecord,
    OutboxStatus,
    RelayCheckpoint,
)


class OutboxBatch(Protocol):
    records: Sequence[OutboxRecord]

    async def mark_published(self) -> None:
        """Mark every record of the batch published; commits when the claim ends."""
        ...


class OutboxStore(Protocol):
    """One context's outbox, as the relay sees it."""

    context: str

    def claim(self, limit: int) -> AbstractAsyncContextManager[OutboxBatch]:
        """Claim up to `limit` unpublished rows, oldest first, skipping rows other relays hold
        (FOR UPDATE SKIP LOCKED). Leaving the block normally commits (with the marks made);
        an exception releases the rows unmarked."""
        ...

    async def wait_for_new(self, seconds: float) -> None:
        """Return when new rows may have been committed, or after `seconds`."""
        ...

    async def status(self) -> OutboxStatus: ...

    async def prune(self, created_before: datetime) -> int:
        """Delete published rows committed before the instant; answer how many. By commit
        time, not publish time: a replayed row must not outlive the consumers' inbox rows."""
        ...

    async def requeue(self, published_since: datetime) -> int:
        """Mark rows published at or after the instant unpublished again, so the relay
        re-publishes them (replay); answer how many."""
        ...

    async def load_checkpoint(self) -> RelayCheckpoint | None:
        """The relay's last recorded checkpoint (see `OutboxRelay`), if any."""
        ...

    async def save_checkpoint(self, checkpoint: RelayCheckpoint) -> None: ...

    async def close(self) -> None: ...


class Broker(Protocol):
    """Streams with consumer groups (Redis Streams semantics).

    Topics are event names; each topic is one stream. Each group also reads its own redrive
    stream, where `redrive` puts dead letters back.
    """

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        """Append every record to its topic's stream, in order, in one round trip."""
        ...

    async def ensure_groups(self, group: str, topics: Sequence[str]) -> None:
        """Create the group on each topic's stream (and its redrive stream) reading from the
        start; creating the streams if needed. Existing groups are left alone."""
        ...

    async def missing_groups(self, group: str, topics: Sequence[str]) -> list[str]:
        """Topics whose stream or group does not exist (e.g. after the broker lost its data)."""
        ...

    async def read(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int, block_ms: int
    ) -> list[Delivery]:
        """New messages for the group, waiting up to `block_ms` for some (`count` per
        stream). Recreates a missing group instead of failing."""
        ...

    async def reclaim(
        self, group: str, consumer: str, topics: Sequence[str], *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        """Take over messages delivered to any consumer of the group and not acknowledged for
        `min_idle_ms` (XAUTOCLAIM); their delivery counts include this delivery."""
        ...

    async def own_pending(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int
    ) -> list[Delivery]:
        """Messages delivered to `consumer` and not acknowledged (at most `count` per
        stream), delivered to it again: what a read cut short may have handed over."""
        ...

    async def redeliver(
        self, group: str, consumer: str, deliveries: Sequence[Delivery]
    ) -> list[Delivery]:
        """Deliver pending messages again to `consumer` (a retry): answers them with their
        delivery counts increased; messages no longer pending are left out."""
        ...

    async def ack(self, group: str, deliveries: Sequence[Delivery]) -> None: ...

    async def dead_letter(self, group: str, delivery: Delivery, error: str) -> None:
        """Move the message to the group's dead-letter stream and acknowledge it, atomically."""
        ...

    async def dead_letters(self, group: str, *, count: int) -> list[DeadLetter]:
        """The group's dead letters, oldest first."""
        ...

    async def redrive(self, group: str, dead_letter_ids: Sequence[str] | None = None) -> int:
        """Give dead letters (all when `dead_letter_ids` is None) back to the group as new
        messages; answer how many moved."""
        ...

    async def lag(self, group: str, topics: Sequence[str]) -> list[GroupLag]: ...

    async def server_identity(self) -> str | None:
        """Changes when the broker restarted or lost its data (Redis: run id and an epoch
        token that a flush removes)."""
        ...

    async def close(self) -> None: ...
