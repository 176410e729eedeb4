"""Contract of the Broker port, run against the in-memory broker and Redis Streams.

Redis cases use a random key prefix per test and delete their keys afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from adapters.memory.streams import InMemoryBroker
from adapters.messaging.types import Delivery, GroupLag
from adapters.redis_streams.broker import RedisStreamsBroker
from tests.support.brokers import (
    BrokerKit,
    ManualClock,
    WriteCountingConnection,
    delete_keys,
    memory_kit,
    record,
    redis_kit,
)
from tests.support.servers import require_redis

PETS = "pet.created"
USERS = "user.created"
TOPICS = [PETS, USERS]
# Long enough that a fast test never reaches it by itself, short enough to wait out.
IDLE_MS = 80


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def kit(request: pytest.FixtureRequest) -> AsyncIterator[BrokerKit]:
    if request.param == "memory":
        async with memory_kit() as memory:
            yield memory
    else:
        async with redis_kit(require_redis()) as redis:
            yield redis


def bodies(deliveries: Sequence[Delivery]) -> list[bytes]:
    return [delivery.body for delivery in deliveries]


def of_topic(deliveries: Sequence[Delivery], topic: str) -> list[bytes]:
    return [d.body for d in deliveries if d.stream.endswith(f":events:{topic}")]


async def read_all(kit: BrokerKit, group: str, consumer: str = "c1") -> list[Delivery]:
    return await kit.broker.read(group, consumer, TOPICS, count=100, block_ms=0)


async def one_pending(kit: BrokerKit, group: str = "billing") -> Delivery:
    """Publish one pet event and read it into `group` (left pending)."""
    await kit.broker.ensure_groups(group, TOPICS)
    await kit.broker.publish([record(PETS, 1)])
    [delivery] = await read_all(kit, group)
    return delivery


def lag_of(lags: Sequence[GroupLag], topic: str) -> GroupLag:
    [lag] = [lag for lag in lags if lag.stream.endswith(f":events:{topic}")]
    return lag


# -- publish and read ------------------------------------------------------------------------


async def test_read_gives_every_topic_in_publish_order(kit: BrokerKit) -> None:
    published = [record(PETS, 1), record(USERS, 1), record(PETS, 2), record(USERS, 2)]
    published.append(record(PETS, 3))
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish(published)

    deliveries = await read_all(kit, "billing")

    assert of_topic(deliveries, PETS) == [r.body for r in published if r.topic == PETS]
    assert of_topic(deliveries, USERS) == [r.body for r in published if r.topic == USERS]
    assert len(deliveries) == len(published)
    assert {d.deliveries for d in deliveries} == {1}
    assert len({(d.stream, d.message_id) for d in deliveries}) == len(published)


async def test_a_read_gives_only_messages_not_yet_delivered_to_the_group(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, 1)])
    assert len(await read_all(kit, "billing", "c1")) == 1

    await kit.broker.publish([record(PETS, 2)])

    assert bodies(await read_all(kit, "billing", "c2")) == [record(PETS, 2).body]
    assert await read_all(kit, "billing", "c1") == []


async def test_messages_published_before_the_group_existed_are_read(kit: BrokerKit) -> None:
    await kit.broker.publish([record(PETS, 1)])
    await kit.broker.ensure_groups("billing", TOPICS)

    assert bodies(await read_all(kit, "billing")) == [record(PETS, 1).body]


async def test_each_group_gets_every_message(kit: BrokerKit) -> None:
    for group in ("billing", "mailer"):
        await kit.broker.ensure_groups(group, TOPICS)
    published = [record(PETS, 1), record(USERS, 1), record(PETS, 2)]
    await kit.broker.publish(published)

    for group in ("billing", "mailer"):
        assert sorted(bodies(await read_all(kit, group))) == sorted(r.body for r in published)


async def test_ensure_groups_keeps_an_existing_group_where_it_was(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, 1)])
    await read_all(kit, "billing")

    await kit.broker.ensure_groups("billing", TOPICS)

    assert await read_all(kit, "billing") == []


async def test_count_limits_a_read_per_stream(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, n) for n in range(1, 6)])

    first = await kit.broker.read("billing", "c1", TOPICS, count=2, block_ms=0)
    rest = await read_all(kit, "billing")

    assert bodies(first) == [record(PETS, 1).body, record(PETS, 2).body]
    assert bodies(rest) == [record(PETS, n).body for n in (3, 4, 5)]


async def test_publishing_nothing_is_allowed(kit: BrokerKit) -> None:
    await kit.broker.publish([])
    await kit.broker.ensure_groups("billing", TOPICS)
    assert await read_all(kit, "billing") == []


async def test_a_thousand_records_arrive_complete_and_in_order(kit: BrokerKit) -> None:
    published = [record(TOPICS[n % 2], n) for n in range(1000)]
    await kit.broker.ensure_groups("billing", TOPICS)

    started = time.perf_counter()
    await kit.broker.publish(published)
    elapsed = time.perf_counter() - started

    deliveries = await kit.broker.read("billing", "c1", TOPICS, count=1000, block_ms=0)
    assert of_topic(deliveries, PETS) == [r.body for r in published if r.topic == PETS]
    assert of_topic(deliveries, USERS) == [r.body for r in published if r.topic == USERS]
    assert elapsed < 1.0


# -- blocking --------------------------------------------------------------------------------


async def test_block_zero_answers_at_once_when_nothing_is_there(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    started = time.perf_counter()

    # Redis' BLOCK 0 would wait forever: the timeout turns that into a failure.
    deliveries = await asyncio.wait_for(read_all(kit, "billing"), timeout=1.0)

    assert deliveries == []
    assert time.perf_counter() - started < 0.5


async def test_a_blocked_read_wakes_when_a_message_arrives(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    started = time.perf_counter()
    reading = asyncio.create_task(
        kit.broker.read("billing", "c1", TOPICS, count=10, block_ms=5_000)
    )
    await asyncio.sleep(0.02)

    await kit.broker.publish([record(USERS, 1)])

    deliveries = await asyncio.wait_for(reading, timeout=2.0)
    assert bodies(deliveries) == [record(USERS, 1).body]
    assert time.perf_counter() - started < 2.0


async def test_a_blocked_read_gives_up_after_block_ms(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    started = time.perf_counter()

    deliveries = await kit.broker.read("billing", "c1", TOPICS, count=10, block_ms=50)

    assert deliveries == []
    assert 0.04 <= time.perf_counter() - started < 1.0


# -- pending, reclaim, redeliver, ack --------------------------------------------------------


async def test_an_unacked_message_goes_to_another_consumer_only_once_idle(
    kit: BrokerKit,
) -> None:
    delivery = await one_pending(kit)

    too_soon = await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=IDLE_MS, count=10)
    await kit.age(IDLE_MS / 1000 + 0.02)
    reclaimed = await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=IDLE_MS, count=10)

    assert too_soon == []
    assert reclaimed == [
        Delivery(delivery.stream, delivery.message_id, delivery.body, deliveries=2)
    ]
    # c2 holds it now, so its idle time starts over.
    again = await kit.broker.reclaim("billing", "c3", TOPICS, min_idle_ms=IDLE_MS, count=10)
    assert again == []


async def test_reclaim_takes_at_most_count(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, 1), record(USERS, 1), record(PETS, 2)])
    await read_all(kit, "billing")
    await kit.age(IDLE_MS / 1000 + 0.02)

    first = await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=IDLE_MS, count=2)
    second = await kit.broker.reclaim("billing", "c3", TOPICS, min_idle_ms=IDLE_MS, count=2)

    assert len(first) == 2
    assert len(second) == 1
    assert {(d.stream, d.message_id) for d in first}.isdisjoint(
        (d.stream, d.message_id) for d in second
    )


async def test_reclaim_of_a_group_that_does_not_exist_is_empty(kit: BrokerKit) -> None:
    assert await kit.broker.reclaim("nobody", "c1", TOPICS, min_idle_ms=0, count=10) == []


async def test_redeliver_counts_every_delivery(kit: BrokerKit) -> None:
    delivery = await one_pending(kit)

    [second] = await kit.broker.redeliver("billing", "c1", [delivery])
    [third] = await kit.broker.redeliver("billing", "c2", [second])

    assert (second.deliveries, third.deliveries) == (2, 3)
    assert (third.stream, third.message_id, third.body) == (
        delivery.stream,
        delivery.message_id,
        delivery.body,
    )


async def test_redeliver_leaves_out_messages_no_longer_pending(kit: BrokerKit) -> None:
    delivery = await one_pending(kit)
    await kit.broker.ack("billing", [delivery])

    assert await kit.broker.redeliver("billing", "c1", [delivery]) == []


async def test_own_pending_hands_back_only_this_consumers_unacknowledged_messages(
    kit: BrokerKit,
) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, n) for n in (1, 2, 3)])
    mine = await kit.broker.read("billing", "c1", TOPICS, count=2, block_ms=0)
    theirs = await kit.broker.read("billing", "c2", TOPICS, count=10, block_ms=0)
    await kit.broker.ack("billing", mine[:1])

    handed = await kit.broker.own_pending("billing", "c1", TOPICS, count=10)

    assert [(d.message_id, d.body) for d in handed] == [(mine[1].message_id, mine[1].body)]
    assert all(d.deliveries >= 2 for d in handed)
    assert await kit.broker.own_pending("billing", "c3", TOPICS, count=10) == []
    assert [
        d.message_id for d in await kit.broker.own_pending("billing", "c2", TOPICS, count=10)
    ] == [d.message_id for d in theirs]
    assert await kit.broker.own_pending("nobody", "c1", TOPICS, count=10) == []


async def test_ack_takes_messages_off_the_pending_list(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, n) for n in (1, 2, 3)])
    before_read = lag_of(await kit.broker.lag("billing", TOPICS), PETS)
    deliveries = await read_all(kit, "billing")
    after_read = lag_of(await kit.broker.lag("billing", TOPICS), PETS)

    await kit.broker.ack("billing", deliveries[:2])
    await kit.broker.ack("billing", [])

    after_ack = lag_of(await kit.broker.lag("billing", TOPICS), PETS)
    assert (before_read.pending, before_read.lag) == (0, 3)
    assert (after_read.pending, after_read.lag) == (3, 0)
    assert (after_ack.pending, after_ack.lag) == (1, 0)
    await kit.age(IDLE_MS / 1000 + 0.02)
    reclaimed = await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=IDLE_MS, count=10)
    assert [d.message_id for d in reclaimed] == [deliveries[2].message_id]


async def test_lag_names_every_stream_the_group_reads(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)

    lags = await kit.broker.lag("billing", TOPICS)

    assert len(lags) == 3
    assert {lag.group for lag in lags} == {"billing"}
    assert lags[-1].stream.endswith(":redrive:billing")
    assert all((lag.pending, lag.lag) == (0, 0) for lag in lags)


async def test_lag_of_a_missing_group_is_unknown(kit: BrokerKit) -> None:
    lags = await kit.broker.lag("nobody", TOPICS)

    assert [(lag.pending, lag.lag) for lag in lags] == [(0, None)] * 3


# -- dead letters and redrive ----------------------------------------------------------------


async def test_a_dead_letter_keeps_the_message_and_the_error(kit: BrokerKit) -> None:
    delivery = await one_pending(kit)
    before = datetime.now(UTC)

    await kit.broker.dead_letter("billing", delivery, "ValueError: bad weight\n" + "x" * 5000)

    [letter] = await kit.broker.dead_letters("billing", count=10)
    assert (letter.group, letter.stream, letter.message_id) == (
        "billing",
        delivery.stream,
        delivery.message_id,
    )
    assert (letter.body, letter.deliveries) == (delivery.body, 1)
    assert letter.error.startswith("ValueError: bad weight\nxxx")
    assert 1000 <= len(letter.error) <= 2100
    assert before - timedelta(seconds=1) <= letter.dead_at <= datetime.now(UTC)
    assert lag_of(await kit.broker.lag("billing", TOPICS), PETS).pending == 0
    await kit.age(IDLE_MS / 1000 + 0.02)
    assert await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=IDLE_MS, count=10) == []


async def test_dead_letters_come_oldest_first_up_to_count(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, n) for n in (1, 2, 3)])
    for n, delivery in enumerate(await read_all(kit, "billing"), start=1):
        await kit.broker.dead_letter("billing", delivery, f"failure {n}")

    letters = await kit.broker.dead_letters("billing", count=2)

    assert [letter.error for letter in letters] == ["failure 1", "failure 2"]
    assert await kit.broker.dead_letters("mailer", count=10) == []


async def test_redrive_gives_dead_letters_back_to_that_group_only(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("mailer", TOPICS)
    delivery = await one_pending(kit, "billing")
    [mailed] = await read_all(kit, "mailer")
    await kit.broker.ack("mailer", [mailed])
    await kit.broker.dead_letter("billing", delivery, "boom")

    moved = await kit.broker.redrive("billing")

    assert moved == 1
    assert await kit.broker.dead_letters("billing", count=10) == []
    [again] = await read_all(kit, "billing")
    assert (again.body, again.deliveries) == (delivery.body, 1)
    assert again.stream.endswith(":redrive:billing")
    assert await read_all(kit, "mailer") == []
    await kit.broker.ack("billing", [again])
    assert all(lag.pending == 0 for lag in await kit.broker.lag("billing", TOPICS))
    assert await kit.broker.redrive("billing") == 0


async def test_redrive_moves_only_the_chosen_dead_letters(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    await kit.broker.publish([record(PETS, 1), record(PETS, 2)])
    first, second = await read_all(kit, "billing")
    await kit.broker.dead_letter("billing", first, "one")
    await kit.broker.dead_letter("billing", second, "two")
    chosen, kept = await kit.broker.dead_letters("billing", count=10)

    moved = await kit.broker.redrive("billing", [chosen.dead_letter_id, "99999-0", "not-an-id"])

    assert moved == 1
    assert await kit.broker.dead_letters("billing", count=10) == [kept]
    assert bodies(await read_all(kit, "billing")) == [first.body]


async def test_a_redriven_message_can_die_and_be_redriven_again(kit: BrokerKit) -> None:
    delivery = await one_pending(kit)
    await kit.broker.dead_letter("billing", delivery, "first")
    await kit.broker.redrive("billing")
    [again] = await read_all(kit, "billing")

    await kit.broker.dead_letter("billing", again, "second")
    await kit.broker.redrive("billing")

    assert bodies(await read_all(kit, "billing")) == [delivery.body]


async def test_redrive_of_all_moves_more_than_one_batch(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", [PETS])
    await kit.broker.publish([record(PETS, n) for n in range(510)])
    for delivery in await kit.broker.read("billing", "c1", [PETS], count=510, block_ms=0):
        await kit.broker.dead_letter("billing", delivery, "boom")

    assert await kit.broker.redrive("billing") == 510

    again = await kit.broker.read("billing", "c1", [PETS], count=1000, block_ms=0)
    assert bodies(again) == [record(PETS, n).body for n in range(510)]


# -- losing the data -------------------------------------------------------------------------


async def test_missing_groups_names_topics_without_the_group(kit: BrokerKit) -> None:
    assert await kit.broker.missing_groups("billing", TOPICS) == TOPICS

    await kit.broker.ensure_groups("billing", [PETS])

    assert await kit.broker.missing_groups("billing", TOPICS) == [USERS]
    assert await kit.broker.missing_groups("mailer", TOPICS) == TOPICS


async def test_after_data_loss_read_recreates_the_group(kit: BrokerKit) -> None:
    await one_pending(kit)
    identity = await kit.broker.server_identity()
    await kit.lose_data()
    assert await kit.broker.missing_groups("billing", TOPICS) == TOPICS
    # Relays learn of the loss from the identity, whoever recreates the groups first.
    assert await kit.broker.server_identity() != identity

    await kit.broker.publish([record(USERS, 7)])
    deliveries = await read_all(kit, "billing")

    assert bodies(deliveries) == [record(USERS, 7).body]
    assert await kit.broker.missing_groups("billing", TOPICS) == []
    assert await kit.broker.dead_letters("billing", count=10) == []


async def test_a_read_blocked_when_the_data_is_lost_carries_on(kit: BrokerKit) -> None:
    await kit.broker.ensure_groups("billing", TOPICS)
    reading = asyncio.create_task(
        kit.broker.read("billing", "c1", TOPICS, count=10, block_ms=5_000)
    )
    await asyncio.sleep(0.02)

    await kit.lose_data()
    await asyncio.sleep(0.02)
    await kit.broker.publish([record(PETS, 9)])

    deliveries = await asyncio.wait_for(reading, timeout=6.0)
    assert bodies(deliveries) == [record(PETS, 9).body]


async def test_server_identity_is_stable_while_the_broker_lives(kit: BrokerKit) -> None:
    identity = await kit.broker.server_identity()

    assert identity
    assert await kit.broker.server_identity() == identity


# -- Redis only ------------------------------------------------------------------------------


@pytest.mark.redis
async def test_redis_publish_is_one_round_trip() -> None:
    url = require_redis()
    prefix = f"petpro-test-{secrets.token_hex(6)}"
    client = Redis.from_url(url, connection_class=WriteCountingConnection)
    broker = RedisStreamsBroker(client, prefix=prefix)
    try:
        await client.ping()  # connect first: the handshake is not the publish's
        before = WriteCountingConnection.writes
        await broker.publish([record(TOPICS[n % 2], n) for n in range(1000)])
        writes = WriteCountingConnection.writes - before

        assert writes == 1
        assert await client.xlen(f"{prefix}:events:{PETS}") == 500
    finally:
        await delete_keys(client, prefix)
        await broker.close()


@pytest.mark.redis
async def test_redis_stream_holds_the_event_type_and_body() -> None:
    async with redis_kit(require_redis()) as kit:
        await kit.broker.publish([record(PETS, 1)])
        await kit.broker.ensure_groups("billing", TOPICS)
        [delivery] = await read_all(kit, "billing")
        client = Redis.from_url(require_redis())
        try:
            [(_, fields)] = await client.xrange(delivery.stream) or []
        finally:
            await client.aclose()

    assert fields == {b"type": b"pet.created.v1", b"body": record(PETS, 1).body}
    assert delivery.stream.endswith(":events:pet.created")


# -- memory only: ids, trimming and fault injection ------------------------------------------


async def test_memory_ids_increase_even_when_the_clock_stands_still() -> None:
    broker = InMemoryBroker(ManualClock(5.0))
    await broker.ensure_groups("billing", [PETS])
    await broker.publish([record(PETS, n) for n in range(3)])

    ids = [d.message_id for d in await broker.read("billing", "c1", [PETS], count=9, block_ms=0)]

    assert ids == ["5000-0", "5000-1", "5000-2"]


async def test_memory_trims_the_oldest_messages_and_forgets_their_pending_entries() -> None:
    clock = ManualClock()
    broker = InMemoryBroker(clock, max_stream_length=10)
    await broker.ensure_groups("billing", [PETS])
    await broker.publish([record(PETS, 0)])
    [oldest] = await broker.read("billing", "c1", [PETS], count=1, block_ms=0)

    await broker.publish([record(PETS, n) for n in range(1, 30)])
    clock.advance(1)

    assert await broker.reclaim("billing", "c2", [PETS], min_idle_ms=0, count=10) == []
    assert await broker.redeliver("billing", "c2", [oldest]) == []
    remaining = await broker.read("billing", "c1", [PETS], count=100, block_ms=0)
    assert 10 <= len(remaining) <= 11
    assert remaining[-1].body == record(PETS, 29).body


async def test_memory_duplicate_deliveries_appends_every_record_twice() -> None:
    broker = InMemoryBroker(ManualClock(), duplicate_deliveries=True)
    await broker.ensure_groups("billing", TOPICS)
    await broker.publish([record(PETS, 1), record(USERS, 1)])

    deliveries = await broker.read("billing", "c1", TOPICS, count=10, block_ms=0)

    assert of_topic(deliveries, PETS) == [record(PETS, 1).body] * 2
    assert of_topic(deliveries, USERS) == [record(USERS, 1).body] * 2
    assert len({d.message_id for d in deliveries if d.stream.endswith(PETS)}) == 2


async def test_memory_reorder_seed_shuffles_each_batch_reproducibly() -> None:
    async def read_order(seed: int | None) -> list[bytes]:
        broker = InMemoryBroker(ManualClock(), reorder_seed=seed)
        await broker.ensure_groups("billing", [PETS])
        await broker.publish([record(PETS, n) for n in range(20)])
        return bodies(await broker.read("billing", "c1", [PETS], count=20, block_ms=0))

    in_order = await read_order(None)
    shuffled = await read_order(7)

    assert in_order == [record(PETS, n).body for n in range(20)]
    assert shuffled != in_order
    assert sorted(shuffled) == sorted(in_order)
    assert await read_order(7) == shuffled


async def test_memory_lose_everything_forgets_all_and_changes_identity() -> None:
    clock = ManualClock()
    broker = InMemoryBroker(clock)
    await broker.ensure_groups("billing", TOPICS)
    await broker.publish([record(PETS, 1), record(PETS, 2)])
    first, second = await broker.read("billing", "c1", TOPICS, count=10, block_ms=0)
    await broker.dead_letter("billing", first, "boom")
    identity = await broker.server_identity()

    broker.lose_everything()

    assert await broker.server_identity() != identity
    assert await broker.missing_groups("billing", TOPICS) == TOPICS
    assert await broker.dead_letters("billing", count=10) == []
    assert [(lag.pending, lag.lag) for lag in await broker.lag("billing", TOPICS)] == [
        (0, None)
    ] * 3
    clock.advance(1)
    assert await broker.redeliver("billing", "c2", [second]) == []
    assert await broker.read("billing", "c1", TOPICS, count=10, block_ms=0) == []


@pytest.mark.redis
async def test_redis_reclaim_acks_messages_deleted_from_the_stream() -> None:
    async with redis_kit(require_redis()) as kit:
        delivery = await one_pending(kit)
        client = Redis.from_url(require_redis())
        try:
            await client.xdel(delivery.stream, delivery.message_id)
        finally:
            await client.aclose()

        reclaimed = await kit.broker.reclaim("billing", "c2", TOPICS, min_idle_ms=0, count=10)

        assert reclaimed == []
        assert lag_of(await kit.broker.lag("billing", TOPICS), PETS).pending == 0
