"""Event consumer throughput: booking's pet-cache consumer over PostgreSQL, against a raw
Redis read loop.

N realistic pet events (created / updated / deleted; many pets, some with several versions,
across many owners) go through the real path onto the streams: `auth.outbox`, then the
outbox relay (untimed). Two consumer groups read the same streams:

- baseline: a raw redis-py loop, XREADGROUP COUNT 100 over the pet streams, then XACK of
  what it read (one pipelined round trip), until it has read N messages;
- measured: `EventConsumer` of the booking subscription (`booking_subscription` over
  `SqlBookingUnitOfWork`): read, decode and upcast, inbox rows set-based, the pet-cache
  projection, one transaction per batch, XACK after the commit; until it handled N.

Rounds alternate which goes first, so drift of the machine's speed hits both alike. The
pet cache is checked against the expected final state of every pet afterwards.
RATIO = consumer events/s / raw read+ack events/s.  Goal: >= 0.25.

Run:  .venv/bin/python bench/consumer_throughput.py [--events 20000]
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func, select

from adapters.messaging.consumer import ConsumerSettings, EventConsumer
from adapters.messaging.relay import OutboxRelay
from adapters.redis_streams.broker import RedisStreamsBroker
from adapters.redis_streams.keys import StreamKeys
from adapters.redis_streams.replies import read_reply_entries
from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.booking.tables import inbox, pet_cache
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox_store import SqlOutboxStore
from bench._support import (
    PetHistory,
    arguments,
    display,
    fresh_database,
    insert_outbox,
    pet_history,
    print_table,
    redis_prefix,
    verdict,
)
from petpro_core.booking.subscriptions import BOOKING_CONSUMER, booking_subscription
from petpro_core.contracts.catalog import published_by

GOAL = 0.25
RAW_GROUP = "bench_raw"
READ_COUNT = 100  # XREADGROUP COUNT, as ConsumerSettings.batch_size


async def put_on_streams(database: SqlDatabase, relay: OutboxRelay, history: PetHistory) -> None:
    """Untimed: the events into auth.outbox, then the relay publishes them."""
    await insert_outbox(database, auth_outbox, history.events)
    expected, published = len(history.events), 0
    while published < expected:
        relayed = await relay.relay_all()
        if relayed == 0:
            raise RuntimeError("the relay did not publish every event")
        published += relayed


async def raw_read_and_ack(client: Redis, keys: list[str], expected: int) -> float:
    """The baseline: XREADGROUP COUNT 100 over the streams, XACK per stream; seconds."""
    streams: dict[Any, Any] = dict.fromkeys(keys, ">")
    read = 0
    started = time.perf_counter()
    while read < expected:
        reply = await client.xreadgroup(RAW_GROUP, "raw-1", streams, count=READ_COUNT, block=1000)
        batches = read_reply_entries(reply)
        if not batches:
            raise RuntimeError(f"the raw loop found nothing after {read} of {expected}")
        async with client.pipeline(transaction=False) as pipe:
            for key, entries in batches:
                if entries:
                    pipe.xack(key, RAW_GROUP, *(entry_id for entry_id, _ in entries))
                    read += len(entries)
            await pipe.execute()
    return time.perf_counter() - started


async def consume(consumer: EventConsumer, expected: int) -> float:
    target = consumer.handled + expected
    started = time.perf_counter()
    while consumer.handled < target:
        if await consumer.consume_once(block_ms=1000) == 0:
            raise RuntimeError(f"the consumer found nothing, {target - consumer.handled} short")
    return time.perf_counter() - started


async def check_pet_cache(database: SqlDatabase, histories: list[PetHistory]) -> None:
    """Every event in the inbox once; every pet at its last version (deleted ones as
    tombstones) in the pet cache."""
    expected: dict[Any, tuple[int, bool]] = {}
    events = 0
    for history in histories:
        events += len(history.events)
        for pet in history.pets.values():
            expected[pet.id] = (pet.version, False)
        for event, _ in history.events:
            if event.NAME == "pet.deleted":
                expected[event.aggregate_id] = (event.aggregate_version, True)
    async with database.engine.connect() as connection:
        handled = (
            await connection.execute(
                select(func.count()).where(inbox.c.consumer == BOOKING_CONSUMER)
            )
        ).scalar_one()
        rows = (
            await connection.execute(
                select(pet_cache.c.pet_id, pet_cache.c.version, pet_cache.c.deleted)
            )
        ).all()
    cached = {pet_id: (version, deleted) for pet_id, version, deleted in rows}
    if handled != events or cached != expected:
        raise RuntimeError(
            f"wrong consumer result: {handled} inbox rows for {events} events, "
            f"{len(cached)} cached pets for {len(expected)} "
            f"({sum(cached.get(k) != v for k, v in expected.items())} differ)"
        )


async def measure(url: str, redis_url: str, events: int, rounds: int) -> None:
    database = SqlDatabase(url)
    async with redis_prefix(redis_url) as prefix:
        routes = {entry.name: tuple(entry.subscribers) for entry in published_by("auth")}
        broker = RedisStreamsBroker.from_url(redis_url, prefix=prefix)
        store = SqlOutboxStore(database, auth_outbox, "auth")
        relay = OutboxRelay(store, broker, routes)
        subscription = booking_subscription(lambda: SqlBookingUnitOfWork(database))
        consumer = EventConsumer(
            subscription, broker, "bench-consumer-1", ConsumerSettings(batch_size=READ_COUNT)
        )
        keys = [StreamKeys(prefix).topic(topic) for topic in consumer.topics]
        client = Redis.from_url(redis_url)
        histories: list[PetHistory] = []
        rows: list[tuple[Any, ...]] = []
        raw_seconds = consumer_seconds = 0.0
        try:
            # The relays create the consumer groups in a deployment; here, before anything.
            await broker.ensure_groups(BOOKING_CONSUMER, consumer.topics)
            await broker.ensure_groups(RAW_GROUP, consumer.topics)
            # Warm-up (untimed): connections, compiled statements, decoders.
            histories.append(pet_history(1000, seed=1))
            await put_on_streams(database, relay, histories[-1])
            await raw_read_and_ack(client, keys, 1000)
            await consume(consumer, 1000)

            for round_ in range(1, rounds + 1):
                histories.append(pet_history(events, seed=1 + round_))
                await put_on_streams(database, relay, histories[-1])
                if round_ % 2:
                    raw = await raw_read_and_ack(client, keys, events)
                    consumed = await consume(consumer, events)
                else:
                    consumed = await consume(consumer, events)
                    raw = await raw_read_and_ack(client, keys, events)
                raw_seconds += raw
                consumer_seconds += consumed
                rows.append(
                    (f"round {round_}", events, events / raw, events / consumed, raw / consumed)
                )
            await check_pet_cache(database, histories)
        finally:
            await client.aclose()
            await store.close()
            await broker.close()
            await database.dispose()
    total = events * rounds
    raw_rate, consumer_rate = total / raw_seconds, total / consumer_seconds
    rows.append(("all", total, raw_rate, consumer_rate, consumer_rate / raw_rate))
    pets = len(set().union(*(h.pet_ids for h in histories[1:])))
    print(
        f"\nConsumer: booking pet cache over PostgreSQL, batches of {READ_COUNT}; "
        f"{total} events of {pets} pets (pet cache checked)"
    )
    print_table(("", "events", "raw read+ack ev/s", "consumer ev/s", "ratio"), rows)
    ratio = consumer_rate / raw_rate
    print(f"RATIO consumer / raw read+ack: {ratio:.2f}  (goal >= {GOAL})  {verdict(ratio >= GOAL)}")


def main() -> None:
    options = arguments(
        __doc__.split("\n\n")[0],
        events=(20_000, "pet events per round on the streams"),
        seconds=(0.0, "not used: each side runs until it has handled every event"),
        extra=(("rounds", 2, "rounds of N events each"),),
    )
    print(
        f"PostgreSQL {display(options.database_url)}, Redis {display(options.redis_url)}; "
        f"{options.events} events x {options.rounds} rounds"
    )
    with fresh_database(options.database_url) as url:
        asyncio.run(measure(url, options.redis_url, options.events, options.rounds))


if __name__ == "__main__":
    main()
