"""The Broker port in memory, with Redis Streams' semantics: for unit tests and the
all-in-one `petpro serve` (no Redis). Not durable.

Streams are lists of (id, body) in id order; each consumer group has a last-delivered id and
a pending-entries list (consumer, delivery count, last delivery time). Stream names follow
the Redis adapter's layout, so deliveries look the same from either broker.

Fault injection for tests: `duplicate_deliveries` (each record is appended twice, as two
messages), `reorder_seed` (each read batch is shuffled, reproducibly) and `lose_everything()`
(a restart without persistence).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.messaging.types import DeadLetter, Delivery, GroupLag, OutboxRecord

# Same key layout as `adapters.redis_streams.keys` with its default prefix.
PREFIX = "petpro"
# Dead-letter errors are cut like the Redis adapter's.
MAX_ERROR_CHARS = 2000

# A message id, `<ms>-<seq>` as in Redis; tuples compare in id order.
StreamId = tuple[int, int]


def format_id(stream_id: StreamId) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


def parse_id(text: str) -> StreamId | None:
    """None for anything that is not `<ms>-<seq>` (such ids are never pending)."""
    ms, dash, seq = text.partition("-")
    if not (dash and ms.isdigit() and seq.isdigit()):
        return None
    return int(ms), int(seq)


def next_id(last: StreamId, now_ms: int) -> StreamId:
    """Strictly after `last`: the clock's millisecond, or `last`'s with the next sequence
    number when the clock has not moved on (never 0-0, like Redis)."""
    if now_ms > last[0]:
        return now_ms, 0
    return last[0], last[1] + 1


@dataclass
class PendingEntry:
    consumer: str
    deliveries: int
    delivered_at: float


@dataclass
class ConsumerGroup:
    last_delivered: StreamId = (0, 0)
    pending: dict[StreamId, PendingEntry] = field(default_factory=dict)


@dataclass
class Stream:
    entries: list[tuple[StreamId, bytes]] = field(default_factory=list)
    groups: dict[str, ConsumerGroup] = field(default_factory=dict)
    last_id: StreamId = (0, 0)

    def append(self, body: bytes, now_ms: int, max_length: int) -> None:
        self.last_id = next_id(self.last_id, now_ms)
        self.entries.append((self.last_id, body))
        # Trim in chunks, like `MAXLEN ~`, so appends stay cheap.
        if len(self.entries) > max_length + max(1, max_length // 10):
            del self.entries[: len(self.entries) - max_length]

    def after(self, last: StreamId, count: int) -> list[tuple[StreamId, bytes]]:
        start = bisect_right(self.entries, last, key=lambda entry: entry[0])
        return self.entries[start : start + count]

    def body_of(self, stream_id: StreamId) -> bytes | None:
        """None when the entry was trimmed away (or never existed)."""
        index = bisect_right(self.entries, stream_id, key=lambda entry: entry[0]) - 1
        if index >= 0 and self.entries[index][0] == stream_id:
            return self.entries[index][1]
        return None

    def count_after(self, last: StreamId) -> int:
        return len(self.entries) - bisect_right(self.entries, last, key=lambda entry: entry[0])


@dataclass
class DeadLetterQueue:
    letters: dict[StreamId, DeadLetter] = field(default_factory=dict)
    last_id: StreamId = (0, 0)


class InMemoryBroker:
    """`clock` (seconds, monotonic) measures idle time for `reclaim` and numbers message
    ids; tests inject a manual one to age messages without sleeping."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        duplicate_deliveries: bool = False,
        reorder_seed: int | None = None,
        max_stream_length: int = 100_000,
    ) -> None:
        self._clock = clock
        self._copies_per_record = 2 if duplicate_deliveries else 1
        # Reproducible disorder for tests, not secrecy.
        self._shuffler = None if reorder_seed is None else random.Random(reorder_seed)  # noqa: S311
        self._max_stream_length = max_stream_length
        self._streams: dict[str, Stream] = {}
        self._dead_letters: dict[str, DeadLetterQueue] = {}
        self._identity = uuid.uuid4().hex
        # Set (and replaced) whenever messages arrive, waking blocked reads.
        self._arrivals = asyncio.Event()

    def lose_everything(self) -> None:
        """Forget all streams, groups, pending entries and dead letters, as a Redis restart
        without persistence does; `server_identity()` changes."""
        self._streams.clear()
        self._dead_letters.clear()
        self._identity = uuid.uuid4().hex

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        now_ms = self._now_ms()
        for record in records:
            stream = self._streams.setdefault(topic_key(record.topic), Stream())
            for _ in range(self._copies_per_record):
                stream.append(record.body, now_ms, self._max_stream_length)
        if records:
            self._wake_readers()

    async def ensure_groups(self, group: str, topics: Sequence[str]) -> None:
        for key in read_keys(group, topics):
            self._streams.setdefault(key, Stream()).groups.setdefault(group, ConsumerGroup())

    async def missing_groups(self, group: str, topics: Sequence[str]) -> list[str]:
        return [
            topic for topic in dict.fromkeys(topics) if self._group(topic_key(topic), group) is None
        ]

    async def read(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int, block_ms: int
    ) -> list[Delivery]:
        """`count` applies to each stream, as in XREADGROUP."""
        deadline = asyncio.get_running_loop().time() + block_ms / 1000
        while True:
            # Recreates lost groups, as the Redis adapter does on NOGROUP.
            await self.ensure_groups(group, topics)
            # Taken before looking, so an arrival right after the look still wakes us.
            arrivals = self._arrivals
            batch = await self._take_new(group, consumer, topics, count)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0:
                return self._shuffled(batch)
            try:
                await asyncio.wait_for(arrivals.wait(), remaining)
            except TimeoutError:
                return []

    async def _take_new(
        self, group: str, consumer: str, topics: Sequence[str], count: int
    ) -> list[Delivery]:
        now = self._clock()
        batch = []
        for key in read_keys(group, topics):
            stream = self._streams[key]
            consumer_group = stream.groups[group]
            for stream_id, body in stream.after(consumer_group.last_delivered, count):
                consumer_group.pending[stream_id] = PendingEntry(consumer, 1, now)
                consumer_group.last_delivered = stream_id
                batch.append(Delivery(key, format_id(stream_id), body, deliveries=1))
        return batch

    def _shuffled(self, batch: list[Delivery]) -> list[Delivery]:
        if self._shuffler is not None:
            self._shuffler.shuffle(batch)
        return batch

    async def reclaim(
        self, group: str, consumer: str, topics: Sequence[str], *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        """At most `count` in all, topic streams first, then the redrive stream."""
        now = self._clock()
        claimed: list[Delivery] = []
        for key in read_keys(group, topics):
            stream = self._streams.get(key)
            consumer_group = self._group(key, group)
            if stream is None or consumer_group is None:
                continue
            for stream_id in sorted(consumer_group.pending):
                if len(claimed) >= count:
                    return claimed
                entry = consumer_group.pending[stream_id]
                if (now - entry.delivered_at) * 1000 < min_idle_ms:
                    continue
                delivery = self._deliver_again(key, consumer_group, stream_id, consumer, now)
                if delivery is not None:
                    claimed.append(delivery)
        return claimed

    async def own_pending(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int
    ) -> list[Delivery]:
        now = self._clock()
        handed_back: list[Delivery] = []
        for key in read_keys(group, topics):
            consumer_group = self._group(key, group)
            if consumer_group is None:
                continue
            own = [
                i
                for i in sorted(consumer_group.pending)
                if consumer_group.pending[i].consumer == consumer
            ]
            for stream_id in own[:count]:
                delivery = self._deliver_again(key, consumer_group, stream_id, consumer, now)
                if delivery is not None:
                    handed_back.append(delivery)
        return handed_back

    async def redeliver(
        self, group: str, consumer: str, deliveries: Sequence[Delivery]
    ) -> list[Delivery]:
        now = self._clock()
        redelivered = []
        for delivery in deliveries:
            consumer_group = self._group(delivery.stream, group)
            stream_id = parse_id(delivery.message_id)
            if consumer_group is None or stream_id is None:
                continue
            if stream_id not in consumer_group.pending:
                continue
            again = self._deliver_again(delivery.stream, consumer_group, stream_id, consumer, now)
            if again is not None:
                redelivered.append(again)
        return redelivered

    def _deliver_again(
        self,
        key: str,
        consumer_group: ConsumerGroup,
        stream_id: StreamId,
        consumer: str,
        now: float,
    ) -> Delivery | None:
        """Hand a pending entry to `consumer`, counting the delivery; an entry trimmed
        from the stream leaves the pending list instead (as XCLAIM does)."""
        body = self._streams[key].body_of(stream_id)
        if body is None:
            del consumer_group.pending[stream_id]
            return None
        entry = consumer_group.pending[stream_id]
        entry.consumer = consumer
        entry.deliveries += 1
        entry.delivered_at = now
        return Delivery(key, format_id(stream_id), body, entry.deliveries)

    async def ack(self, group: str, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            consumer_group = self._group(delivery.stream, group)
            stream_id = parse_id(delivery.message_id)
            if consumer_group is not None and stream_id is not None:
                consumer_group.pending.pop(stream_id, None)

    async def dead_letter(self, group: str, delivery: Delivery, error: str) -> None:
        queue = self._dead_letters.setdefault(group, DeadLetterQueue())
        queue.last_id = next_id(queue.last_id, self._now_ms())
        queue.letters[queue.last_id] = DeadLetter(
            dead_letter_id=format_id(queue.last_id),
            group=group,
            stream=delivery.stream,
            message_id=delivery.message_id,
            body=delivery.body,
            error=error[:MAX_ERROR_CHARS],
            deliveries=delivery.deliveries,
            dead_at=datetime.now(UTC),
        )
        await self.ack(group, [delivery])

    async def dead_letters(self, group: str, *, count: int) -> list[DeadLetter]:
        queue = self._dead_letters.get(group)
        return [] if queue is None else list(queue.letters.values())[:count]

    async def redrive(self, group: str, dead_letter_ids: Sequence[str] | None = None) -> int:
        queue = self._dead_letters.get(group)
        if queue is None:
            return 0
        if dead_letter_ids is None:
            chosen = list(queue.letters)
        else:
            parsed = (parse_id(text) for text in dict.fromkeys(dead_letter_ids))
            chosen = [stream_id for stream_id in parsed if stream_id in queue.letters]
        redrive_stream = self._streams.setdefault(redrive_key(group), Stream())
        now_ms = self._now_ms()
        for stream_id in chosen:
            letter = queue.letters.pop(stream_id)
            redrive_stream.append(letter.body, now_ms, self._max_stream_length)
        if chosen:
            self._wake_readers()
        return len(chosen)

    async def lag(self, group: str, topics: Sequence[str]) -> list[GroupLag]:
        lags = []
        for key in read_keys(group, topics):
            consumer_group = self._group(key, group)
            if consumer_group is None:
                lags.append(GroupLag(group, key, pending=0, lag=None))
            else:
                undelivered = self._streams[key].count_after(consumer_group.last_delivered)
                lags.append(GroupLag(group, key, len(consumer_group.pending), undelivered))
        return lags

    async def server_identity(self) -> str | None:
        return self._identity

    async def close(self) -> None:
        return None

    def _group(self, key: str, group: str) -> ConsumerGroup | None:
        stream = self._streams.get(key)
        return None if stream is None else stream.groups.get(group)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _wake_readers(self) -> None:
        self._arrivals.set()
        self._arrivals = asyncio.Event()


def topic_key(topic: str) -> str:
    return f"{PREFIX}:events:{topic}"


def redrive_key(group: str) -> str:
    return f"{PREFIX}:redrive:{group}"


def read_keys(group: str, topics: Sequence[str]) -> list[str]:
    """The streams a group consumes: its topics' streams, then its redrive stream."""
    return [*(topic_key(topic) for topic in dict.fromkeys(topics)), redrive_key(group)]
