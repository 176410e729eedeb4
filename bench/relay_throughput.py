"""Outbox relay throughput on PostgreSQL + Redis Streams, against raw Redis, and against the
rate PostgreSQL commits "booking + outbox" transactions.

1. Relay. N realistic pet events (created / updated / deleted across many pets and owners)
   are inserted into `auth.outbox` (untimed, set-based). Baseline: a raw redis-py pipelined
   XADD loop publishing the very same CloudEvent bodies in batches of the relay's batch size.
   Measured: `OutboxRelay.relay_all()` (claim FOR UPDATE SKIP LOCKED → encode → pipelined
   XADD → mark published → commit) until the outbox is empty. Rounds alternate which goes
   first, so drift of the machine's speed hits both alike.
   RATIO = relay events/s / baseline events/s.  Goal: >= 0.5.

2. Headroom. 16 concurrent clients commit "booking + outbox" transactions for --seconds:
   each a `SqlBookingUnitOfWork` that upserts a pet-cache row (the business row) and records
   one booking.created (its outbox row), as booking's writes will. The rate they commit
   events at is compared with the relay's rate from 1.
   RATIO = relay events/s / committed events/s.  Goal: > 1 (one relay keeps up).

Run:  .venv/bin/python bench/relay_throughput.py [--events 20000] [--seconds 10]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Text, cast, func, select

from adapters.codec.cloudevents import encode_cloudevent
from adapters.messaging.relay import OutboxRelay, RelaySettings
from adapters.redis_streams.broker import RedisStreamsBroker
from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox_store import SqlOutboxStore
from bench._support import (
    ClientDatabase,
    arguments,
    display,
    fresh_database,
    insert_outbox,
    pet_history,
    print_table,
    redis_prefix,
    verdict,
)
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.contracts.booking import BookingCreated
from petpro_core.contracts.catalog import published_by
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.tracing import MessageContext, message_context

RELAY_GOAL = 0.5
MAX_STREAM_LENGTH = 1_000_000  # as RedisStreamsBroker's default


# -- 1. relay against raw XADD -------------------------------------------------------------


async def unpublished_bodies(database: SqlDatabase) -> list[tuple[str, str, bytes]]:
    """(topic, type, body) of every unpublished row, in order: what the relay will send."""
    c = auth_outbox.c
    query = (
        select(
            c.id,
            c.event_name,
            c.event_type,
            c.aggregate_type,
            c.aggregate_id,
            c.aggregate_version,
            c.occurred_at,
            cast(c.payload, Text),
            c.headers,
        )
        .where(c.published_at.is_(None))
        .order_by(c.position)
    )
    async with database.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [
        (
            topic,
            event_type,
            encode_cloudevent(
                event_id=event_id,
                event_type=event_type,
                context="auth",
                occurred_at=occurred_at,
                aggregate_type=aggregate_type,
                aggregate_id=aggregate_id,
                aggregate_version=aggregate_version,
                payload_json=payload,
                headers=headers,
            ),
        )
        for (
            event_id,
            topic,
            event_type,
            aggregate_type,
            aggregate_id,
            aggregate_version,
            occurred_at,
            payload,
            headers,
        ) in rows
    ]


async def raw_publish(
    client: Redis, prefix: str, bodies: Sequence[tuple[str, str, bytes]], batch: int
) -> float:
    """The baseline: pipelined XADD of the same fields, `batch` per round trip; seconds."""
    started = time.perf_counter()
    for first in range(0, len(bodies), batch):
        async with client.pipeline(transaction=False) as pipe:
            for topic, event_type, body in bodies[first : first + batch]:
                pipe.xadd(
                    f"{prefix}:raw:{topic}",
                    {"type": event_type, "body": body},
                    maxlen=MAX_STREAM_LENGTH,
                    approximate=True,
                )
            await pipe.execute()
    return time.perf_counter() - started


async def relay_everything(relay: OutboxRelay, expected: int) -> float:
    started = time.perf_counter()
    total = 0
    while total < expected:
        relayed = await relay.relay_all()
        if relayed == 0:
            raise RuntimeError(f"the relay stopped after {total} of {expected} events")
        total += relayed
    return time.perf_counter() - started


async def unpublished(database: SqlDatabase) -> int:
    query = select(func.count()).where(auth_outbox.c.published_at.is_(None))
    async with database.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def stream_lengths(client: Redis, prefix: str, kind: str) -> int:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:{kind}:*")]
    return sum([await client.xlen(key) for key in keys])


async def delete_streams(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)


async def measure_relay(
    database: SqlDatabase, redis_url: str, prefix: str, events: int, batch: int, rounds: int
) -> tuple[float, float]:
    """Events/s of the baseline and of the relay, over all rounds."""
    routes = {entry.name: tuple(entry.subscribers) for entry in published_by("auth")}
    store = SqlOutboxStore(database, auth_outbox, "auth")
    broker = RedisStreamsBroker.from_url(
        redis_url, prefix=prefix, max_stream_length=MAX_STREAM_LENGTH
    )
    relay = OutboxRelay(store, broker, routes, RelaySettings(batch_size=batch))
    client = Redis.from_url(redis_url)
    baseline_seconds = relay_seconds = 0.0
    rows: list[tuple[Any, ...]] = []
    try:
        # Warm-up (untimed): connections, LISTEN, compiled statements, pydantic adapters.
        await insert_outbox(database, auth_outbox, pet_history(2 * batch, seed=1).events)
        await raw_publish(client, prefix, await unpublished_bodies(database), batch)
        await relay_everything(relay, 2 * batch)
        await delete_streams(client, prefix)

        for round_ in range(1, rounds + 1):
            history = pet_history(events, seed=round_)
            await insert_outbox(database, auth_outbox, history.events)
            bodies = await unpublished_bodies(database)
            assert len(bodies) == events
            if round_ % 2:
                raw = await raw_publish(client, prefix, bodies, batch)
                relayed = await relay_everything(relay, events)
            else:
                relayed = await relay_everything(relay, events)
                raw = await raw_publish(client, prefix, bodies, batch)
            if (
                await unpublished(database)
                or await stream_lengths(client, prefix, "events") != events
            ):
                raise RuntimeError("the relay did not publish every event exactly once")
            await delete_streams(client, prefix)
            baseline_seconds += raw
            relay_seconds += relayed
            rows.append((f"round {round_}", events, events / raw, events / relayed, raw / relayed))
    finally:
        await store.close()
        await broker.close()
        await client.aclose()
    total = events * rounds
    baseline_rate, relay_rate = total / baseline_seconds, total / relay_seconds
    rows.append(("all", total, baseline_rate, relay_rate, relay_rate / baseline_rate))
    print(f"\n1. Relay: pet events from auth.outbox to Redis Streams, batches of {batch}")
    print_table(("", "events", "raw XADD ev/s", "relay ev/s", "ratio"), rows)
    return baseline_rate, relay_rate


# -- 2. commit rate of booking + outbox transactions ------------------------------------------


def a_booking(now: datetime, number: int) -> tuple[CachedPet, BookingCreated]:
    pet_id, owner_id = new_id(), new_id()
    starts_at = (now + timedelta(days=1 + number % 30)).replace(minute=0, second=0, microsecond=0)
    pet = CachedPet(
        pet_id=pet_id,
        owner_id=owner_id,
        name=f"Biscuit {number}",
        species="dog",
        breed="Border Collie",
        version=1,
        updated_at=now,
    )
    booking = BookingCreated(
        occurred_at=now,
        aggregate_version=1,
        booking_id=new_id(),
        owner_id=owner_id,
        pet_id=pet_id,
        clinic_id=new_id(),
        service_id=new_id(),
        vet_id=new_id() if number % 3 else None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        price=Money(Decimal("45.00"), "EUR"),
    )
    return pet, booking


async def commit_loop(url: str, clients: int, start: float, end: float) -> float:
    """`clients` concurrent booking + outbox transactions until `end` (wall clock); answers
    the rate of those that began at `start` or later (at least half a second after this
    process began: warm-up) and committed by `end`."""
    database = ClientDatabase(url, pool_size=clients)
    window_start = max(start, time.time() + 0.5)
    counted = [0] * clients

    async def client(index: int) -> None:
        number = 0
        while (began := time.time()) < end:
            pet, booking = a_booking(datetime.now(UTC), number)
            number += 1
            with message_context(MessageContext.start()):
                async with SqlBookingUnitOfWork(database) as uow:
                    uow.pet_cache.apply(pet)
                    uow.record(booking)
                    await uow.commit()
            if began >= window_start and time.time() <= end:
                counted[index] += 1

    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        await database.dispose()
    return sum(counted) / (end - window_start)


def commit_process(url: str, clients: int, start: float, end: float) -> float:
    return asyncio.run(commit_loop(url, clients, start, end))


async def measure_commits(url: str, clients: int, processes: int, seconds: float) -> float:
    """Committed booking + outbox transactions per second (one event each): `clients`
    spread over `processes` processes (as app servers), measured over the same `seconds`
    in each process after their start-up and a warm-up; the processes' rates add up."""
    start = time.time() + 3.0
    end = start + seconds
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        rates = await asyncio.gather(
            *(
                loop.run_in_executor(pool, commit_process, url, share, start, end)
                for share in shares
                if share
            )
        )
    return sum(rates)


# -- main ------------------------------------------------------------------------------------


async def measure(url: str, redis_url: str, events: int, seconds: float, options: Any) -> None:
    database = SqlDatabase(url)
    try:
        async with redis_prefix(redis_url) as prefix:
            baseline_rate, relay_rate = await measure_relay(
                database, redis_url, prefix, events, options.batch, options.rounds
            )
    finally:
        await database.dispose()
    ratio = relay_rate / baseline_rate
    print(
        f"RATIO relay / raw XADD: {ratio:.2f}  (goal >= {RELAY_GOAL})  "
        f"{verdict(ratio >= RELAY_GOAL)}"
    )

    committed_rate = await measure_commits(url, options.clients, options.processes, seconds)
    headroom = relay_rate / committed_rate
    print(
        f"\n2. Commit rate: {options.clients} clients in {options.processes} processes, "
        f"booking + outbox transactions, {seconds:g} s"
    )
    print_table(
        ("", "events/s"),
        [("committed (1 event per transaction)", committed_rate), ("relay (from 1.)", relay_rate)],
    )
    print(f"RATIO relay / committed: {headroom:.2f}  (goal > 1)  {verdict(headroom > 1)}")


def main() -> None:
    options = arguments(
        __doc__.split("\n\n")[0],
        events=(20_000, "pet events per round in auth.outbox"),
        seconds=(10.0, "how long the clients commit in part 2"),
        extra=(
            ("batch", 500, "relay batch size (RelaySettings.batch_size)"),
            ("rounds", 2, "rounds of N events each"),
            ("clients", 16, "concurrent clients committing booking + outbox transactions"),
            ("processes", 2, "processes the clients are spread over"),
        ),
    )
    print(
        f"PostgreSQL {display(options.database_url)}, Redis {display(options.redis_url)}; "
        f"{options.events} events x {options.rounds} rounds"
    )
    with fresh_database(options.database_url) as url:
        asyncio.run(measure(url, options.redis_url, options.events, options.seconds, options))


if __name__ == "__main__":
    main()
