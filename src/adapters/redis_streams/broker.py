"""The Broker port on Redis Streams: one stream per topic, consumer groups, a dead-letter
and a redrive stream per group (key layout in `adapters.redis_streams.keys`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import StreamIdT

from adapters.messaging.types import DeadLetter, Delivery, GroupLag, OutboxRecord
from adapters.redis_streams.dead_letters import dead_letter_fields, dead_letter_of, redrive_fields
from adapters.redis_streams.keys import StreamKeys
from adapters.redis_streams.replies import (
    Entry,
    entries_of,
    is_existing_group,
    is_missing_group,
    is_missing_key,
    read_reply_entries,
    text,
)

# Dead letters are moved in batches of this many, each batch one MULTI/EXEC.
REDRIVE_BATCH = 500


class RedisStreamsBroker:
    """`client` must answer bytes (`decode_responses=False`), and its socket timeout, if any,
    must exceed the `block_ms` of reads."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "petpro",
        max_stream_length: int = 1_000_000,
    ) -> None:
        self._client = client
        self._keys = StreamKeys(prefix)
        self._max_stream_length = max_stream_length

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "petpro",
        max_stream_length: int = 1_000_000,
        **client_options: Any,
    ) -> RedisStreamsBroker:
        client = Redis.from_url(url, **{**client_options, "decode_responses": False})
        return cls(client, prefix=prefix, max_stream_length=max_stream_length)

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        if not records:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.xadd(
                    self._keys.topic(record.topic),
                    {"type": record.event_type, "body": record.body},
                    maxlen=self._max_stream_length,
                    approximate=True,
                )
            await pipe.execute()

    async def ensure_groups(self, group: str, topics: Sequence[str]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for key in self._keys.read_by(group, topics):
                pipe.xgroup_create(key, group, id="0", mkstream=True)
            results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and not is_existing_group(result):
                raise result

    async def missing_groups(self, group: str, topics: Sequence[str]) -> list[str]:
        topics = list(dict.fromkeys(topics))
        groups_by_topic = await self._groups_info([self._keys.topic(t) for t in topics])
        return [topic for topic in topics if group not in groups_by_topic[self._keys.topic(topic)]]

    async def read(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int, block_ms: int
    ) -> list[Delivery]:
        """`count` applies to each stream, as in XREADGROUP."""
        try:
            reply = await self._read_new(group, consumer, topics, count, block_ms)
        except ResponseError as error:
            if not is_missing_group(error):
                raise
            # The broker lost its data (or the group was never made): start over. Relays
            # notice the loss by the changed epoch (see `server_identity`).
            await self.ensure_groups(group, topics)
            reply = await self._read_new(group, consumer, topics, count, block_ms)
        return [
            Delivery(stream, entry_id, _body(fields), deliveries=1)
            for stream, entries in read_reply_entries(reply)
            for entry_id, fields in entries
        ]

    async def _read_new(
        self, group: str, consumer: str, topics: Sequence[str], count: int, block_ms: int
    ) -> Any:
        return await self._client.xreadgroup(
            group,
            consumer,
            dict.fromkeys(self._keys.read_by(group, topics), ">"),
            count=count,
            # BLOCK 0 would wait forever; no BLOCK means answer at once.
            block=block_ms if block_ms > 0 else None,
        )

    async def reclaim(
        self, group: str, consumer: str, topics: Sequence[str], *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        """At most `count` in all, topic streams first, then the redrive stream."""
        claimed: list[Delivery] = []
        for key in self._keys.read_by(group, topics):
            if len(claimed) >= count:
                break
            claimed += await self._reclaim_from(
                key, group, consumer, min_idle_ms, count - len(claimed)
            )
        return claimed

    async def _reclaim_from(
        self, key: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        taken: list[Entry] = []
        gone: list[str] = []
        cursor = "0-0"
        while len(taken) < count:
            try:
                reply = await self._client.xautoclaim(
                    key, group, consumer, min_idle_ms, start_id=cursor, count=count - len(taken)
                )
            except ResponseError as error:
                if is_missing_group(error):
                    return []
                raise
            cursor = text(reply[0])
            taken += entries_of(reply[1])
            # Redis 7 names the pending ids whose entries were trimmed away; nothing to deliver.
            gone += [text(entry_id) for entry_id in (reply[2] if len(reply) > 2 else ())]
            if cursor == "0-0":
                break
        if gone:
            await self._client.xack(key, group, *gone)
        counts = await self._delivery_counts(key, group, consumer, [i for i, _ in taken])
        # An id missing from `counts` was taken over by another consumer meanwhile.
        return [
            Delivery(key, entry_id, _body(fields), counts[entry_id])
            for entry_id, fields in taken
            if entry_id in counts
        ]

    async def _delivery_counts(
        self, key: str, group: str, consumer: str, message_ids: list[str]
    ) -> dict[str, int]:
        if not message_ids:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for message_id in message_ids:
                pipe.xpending_range(key, group, message_id, message_id, 1, consumername=consumer)
            results = await pipe.execute(raise_on_error=False)
        return {
            text(pending["message_id"]): int(pending["times_delivered"])
            for result in results
            if not isinstance(result, Exception)
            for pending in result
        }

    async def own_pending(
        self, group: str, consumer: str, topics: Sequence[str], *, count: int
    ) -> list[Delivery]:
        try:
            # An explicit id reads the consumer's own pending entries (its history).
            reply = await self._client.xreadgroup(
                group, consumer, dict.fromkeys(self._keys.read_by(group, topics), "0"), count=count
            )
        except ResponseError as error:
            if is_missing_group(error):
                return []
            raise
        return [
            # At least its second delivery (Redis counts this one; the first was cut short).
            Delivery(stream, entry_id, _body(fields), deliveries=2)
            for stream, entries in read_reply_entries(reply)
            for entry_id, fields in entries
            if fields  # an entry trimmed from the stream comes back without fields
        ]

    async def redeliver(
        self, group: str, consumer: str, deliveries: Sequence[Delivery]
    ) -> list[Delivery]:
        by_stream = _by_stream(deliveries)
        if not by_stream:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for stream, stream_deliveries in by_stream.items():
                ids: list[StreamIdT] = [d.message_id for d in stream_deliveries]
                pipe.xclaim(stream, group, consumer, 0, ids)
            results = await pipe.execute(raise_on_error=False)
        redelivered: list[Delivery] = []
        for stream_deliveries, result in zip(by_stream.values(), results, strict=True):
            if isinstance(result, Exception):
                if is_missing_group(result):
                    continue
                raise result
            claimed = {entry_id for entry_id, _ in entries_of(result)}
            redelivered += [
                replace(delivery, deliveries=delivery.deliveries + 1)
                for delivery in stream_deliveries
                if delivery.message_id in claimed
            ]
        return redelivered

    async def ack(self, group: str, deliveries: Sequence[Delivery]) -> None:
        by_stream = _by_stream(deliveries)
        if not by_stream:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for stream, stream_deliveries in by_stream.items():
                pipe.xack(stream, group, *(delivery.message_id for delivery in stream_deliveries))
            await pipe.execute()

    async def dead_letter(self, group: str, delivery: Delivery, error: str) -> None:
        fields = dead_letter_fields(group, delivery, error, datetime.now(UTC))
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xadd(self._keys.dead_letters(group), fields)
            pipe.xack(delivery.stream, group, delivery.message_id)
            await pipe.execute()

    async def dead_letters(self, group: str, *, count: int) -> list[DeadLetter]:
        raw = await self._client.xrange(self._keys.dead_letters(group), count=count)
        return [dead_letter_of(entry) for entry in entries_of(raw)]

    async def redrive(self, group: str, dead_letter_ids: Sequence[str] | None = None) -> int:
        """Not exclusive: two redrives of the same dead letter at once may both move it."""
        moved = 0
        if dead_letter_ids is None:
            start = "-"
            while batch := entries_of(
                await self._client.xrange(
                    self._keys.dead_letters(group), start, count=REDRIVE_BATCH
                )
            ):
                moved += await self._move_to_redrive(group, batch)
                start = f"({batch[-1][0]}"
        else:
            found = await self._dead_letter_entries(group, list(dict.fromkeys(dead_letter_ids)))
            for first in range(0, len(found), REDRIVE_BATCH):
                moved += await self._move_to_redrive(group, found[first : first + REDRIVE_BATCH])
        return moved

    async def _dead_letter_entries(self, group: str, dead_letter_ids: list[str]) -> list[Entry]:
        if not dead_letter_ids:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for dead_letter_id in dead_letter_ids:
                pipe.xrange(self._keys.dead_letters(group), dead_letter_id, dead_letter_id, 1)
            results = await pipe.execute(raise_on_error=False)
        # Malformed ids fail their XRANGE; like unknown ones they are ignored.
        return [
            entry
            for result in results
            if not isinstance(result, Exception)
            for entry in entries_of(result)
        ]

    async def _move_to_redrive(self, group: str, entries: list[Entry]) -> int:
        async with self._client.pipeline(transaction=True) as pipe:
            for entry in entries:
                pipe.xadd(
                    self._keys.redrive(group),
                    redrive_fields(entry),
                    maxlen=self._max_stream_length,
                    approximate=True,
                )
                pipe.xdel(self._keys.dead_letters(group), entry[0])
            results = await pipe.execute()
        return sum(int(deleted) for deleted in results[1::2])

    async def lag(self, group: str, topics: Sequence[str]) -> list[GroupLag]:
        keys = self._keys.read_by(group, topics)
        groups_by_key = await self._groups_info(keys)
        lags = []
        for key in keys:
            info = groups_by_key[key].get(group)
            if info is None:
                lags.append(GroupLag(group, key, pending=0, lag=None))
            else:
                lag = info.get("lag")
                lags.append(GroupLag(group, key, int(info["pending"]), _int_or_none(lag)))
        return lags

    async def _groups_info(self, keys: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """XINFO GROUPS of each key, by group name; a key that does not exist has none."""
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.xinfo_groups(key)
            results = await pipe.execute(raise_on_error=False)
        groups_by_key: dict[str, dict[str, dict[str, Any]]] = {}
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, Exception):
                if not is_missing_key(result):
                    raise result
                result = []
            groups_by_key[key] = {text(info["name"]): info for info in result}
        return groups_by_key

    async def server_identity(self) -> str | None:
        """The server's run id and this data's epoch token (set if missing): it changes on a
        restart, and on a flush even when the server stays up."""
        run_id = (await self._client.info("server")).get("run_id")
        await self._client.set(self._keys.epoch, secrets.token_hex(8), nx=True)
        epoch = await self._client.get(self._keys.epoch)
        return f"{text(run_id) if run_id else '?'}/{text(epoch) if epoch else '?'}"

    async def close(self) -> None:
        await self._client.aclose()


def _body(fields: dict[bytes, bytes]) -> bytes:
    # A message without a body (written by something else) still reaches the consumer,
    # which fails to decode it and dead-letters it, instead of it blocking the group.
    return fields.get(b"body", b"")


def _by_stream(deliveries: Sequence[Delivery]) -> dict[str, list[Delivery]]:
    by_stream: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_stream.setdefault(delivery.stream, []).append(delivery)
    return by_stream


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
