"""Brokers for tests, behind one face (`BrokerKit`): the in-memory broker on a manual clock,
and the Redis broker under a throw-away key prefix whose keys are deleted afterwards (never
FLUSHALL: other tests share the server)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from adapters.memory.streams import InMemoryBroker
from adapters.messaging.ports import Broker
from adapters.messaging.types import OutboxRecord
from adapters.redis_streams.broker import RedisStreamsBroker


class ManualClock:
    """A monotonic clock (seconds) that moves only when told to."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class BrokerKit:
    kind: str
    broker: Broker
    # Let messages age by this many seconds (memory: moves the clock; Redis: sleeps).
    age: Callable[[float], Awaitable[None]]
    # Lose every stream, group and pending entry, as a restart without persistence does.
    lose_data: Callable[[], Awaitable[None]]


@asynccontextmanager
async def memory_kit(**options: Any) -> AsyncIterator[BrokerKit]:
    clock = ManualClock()
    broker = InMemoryBroker(clock, **options)

    async def age(seconds: float) -> None:
        clock.advance(seconds)

    async def lose_data() -> None:
        broker.lose_everything()

    yield BrokerKit("memory", broker, age, lose_data)


@asynccontextmanager
async def redis_kit(url: str) -> AsyncIterator[BrokerKit]:
    prefix = f"petpro-test-{secrets.token_hex(6)}"
    broker = RedisStreamsBroker.from_url(url, prefix=prefix)
    admin = Redis.from_url(url)

    async def lose_data() -> None:
        await delete_keys(admin, prefix)

    try:
        yield BrokerKit("redis", broker, asyncio.sleep, lose_data)
    finally:
        await delete_keys(admin, prefix)
        await admin.aclose()
        await broker.close()


async def delete_keys(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)


class WriteCountingConnection(Connection):
    """Counts the writes to the server: each write of commands is one round trip."""

    writes = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        WriteCountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


def record(topic: str, n: int) -> OutboxRecord:
    """The n-th record of a topic; its body names both, so tests can tell messages apart."""
    return OutboxRecord(
        event_id=uuid4(),
        position=n,
        topic=topic,
        event_type=f"{topic}.v1",
        body=f'{{"topic": "{topic}", "n": {n}}}'.encode(),
    )
