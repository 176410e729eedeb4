"""The event backbone end to end on in-memory adapters: auth's pet events reach booking's
pet cache exactly once, whatever the bus does to them (duplicates, reordering, crashes at
every fault point, a poison message)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.booking import InMemoryBookingUnitOfWork, in_memory_booking_store
from adapters.memory.event_bus import InMemoryEventBus
from adapters.memory.outbox_store import InMemoryOutboxStore
from adapters.messaging.consumer import ConsumerSettings
from adapters.messaging.faults import FaultPoints
from adapters.messaging.relay import OutboxRelay, RelaySettings, routes_of
from adapters.messaging.types import RelayCheckpoint
from petpro_core.auth.commands import CreatePet, DeletePet, UpdatePet
from petpro_core.auth.domain.pets import Pet
from petpro_core.booking.commands import GetCachedPet
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.handlers import BookingDependencies, BookingHandlers
from petpro_core.booking.subscriptions import booking_subscription
from petpro_core.contracts.auth import PetCreated
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.subscriptions import Subscription
from petpro_core.shared.tracing import MessageContext, current_context, message_context
from tests.support.auth import memory_harness
from tests.unit.builders import principal, register


class World:
    """Auth and booking on memory stores, joined by an in-memory event bus."""

    def __init__(self, subscription_override: Subscription | None = None, **bus: Any) -> None:
        self.auth, self.auth_store = memory_harness()
        self.booking_store = in_memory_booking_store()
        self.subscription = subscription_override or booking_subscription(self.booking_uow)
        self.bus = InMemoryEventBus({"auth": self.auth_store}, [self.subscription], **bus)
        self.booking = MessageBus()
        BookingHandlers(BookingDependencies(uow=self.booking_uow)).register(self.booking)

    def booking_uow(self) -> InMemoryBookingUnitOfWork:
        return InMemoryBookingUnitOfWork(self.booking_store)

    async def owner_with_pet(self, name: str = "Pochi") -> tuple[Any, Pet]:
        owner = principal(await register(self.auth.bus, f"{name.lower()}@example.com"))
        pet: Pet = await self.auth.bus.execute(CreatePet(actor=owner, name=name, species="dog"))
        return owner, pet

    async def cached(self, pet_id: UUID, **kwargs: Any) -> CachedPet:
        result: CachedPet = await self.booking.execute(GetCachedPet(pet_id=pet_id, **kwargs))
        return result

    def inbox_size(self) -> int:
        return len(self.booking_store.state.inbox)


async def _rename_many(world: World, owner: Any, pet: Pet, times: int) -> None:
    for number in range(times):
        await world.auth.bus.execute(UpdatePet(actor=owner, pet_id=pet.id, name=f"Pochi {number}"))


async def test_a_pet_reaches_the_booking_cache() -> None:
    world = World()
    _, pet = await world.owner_with_pet()

    report = await world.bus.drain()

    cached = await world.cached(pet.id)
    assert (cached.name, cached.species, cached.owner_id) == ("Pochi", "dog", pet.owner_id)
    assert cached.version == 1
    assert report.relayed == 2  # user.created and pet.created
    assert world.inbox_size() == 1  # booking consumes pet events only


async def test_updates_and_deletion_follow_in_order() -> None:
    world = World()
    owner, pet = await world.owner_with_pet()
    await _rename_many(world, owner, pet, 3)
    await world.bus.drain()
    assert (await world.cached(pet.id)).name == "Pochi 2"

    await world.auth.bus.execute(DeletePet(actor=owner, pet_id=pet.id))
    await world.bus.drain()
    tombstone = await world.cached(pet.id, include_deleted=True)
    assert tombstone.deleted and tombstone.version == 5


async def test_duplicate_delivery_changes_nothing() -> None:
    world = World(duplicate_deliveries=True)
    owner, pet = await world.owner_with_pet()
    await _rename_many(world, owner, pet, 4)

    report = await world.bus.drain()

    assert (await world.cached(pet.id)).version == 5
    assert world.inbox_size() == 5  # five pet events, each handled once
    assert report.settled >= 2 * 5  # every message came twice


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_reordered_delivery_never_moves_a_projection_backwards(seed: int) -> None:
    world = World(reorder_seed=seed)
    owner, pet = await world.owner_with_pet()
    await _rename_many(world, owner, pet, 6)

    await world.bus.drain()

    cached = await world.cached(pet.id)
    assert (cached.version, cached.name) == (7, "Pochi 5")


@pytest.mark.parametrize(
    "point",
    [
        "relay.before_publish",
        "relay.after_publish",
        "consumer.before_commit",
        "consumer.after_commit",
    ],
)
@pytest.mark.parametrize("on_pass", [1, 2])
async def test_a_crash_at_any_point_loses_nothing_and_applies_once(
    point: str, on_pass: int
) -> None:
    faults = FaultPoints()
    faults.arm(point, on_pass)
    world = World(
        faults=faults,
        settings=ConsumerSettings(block_ms=0, batch_size=3),
        relay_settings=RelaySettings(batch_size=3, concurrent_claims=1),
    )
    owner, pet = await world.owner_with_pet()
    await _rename_many(world, owner, pet, 5)

    report = await world.bus.drain()

    assert report.crashes == [point]
    assert (await world.cached(pet.id)).version == 6
    assert world.inbox_size() == 6


async def test_a_crash_after_publishing_republishes_the_batch() -> None:
    faults = FaultPoints()
    faults.arm("relay.after_publish")
    world = World(faults=faults)
    await world.owner_with_pet()

    report = await world.bus.drain()

    assert report.relayed == 2  # the second attempt; the first published but did not mark
    lags = await world.bus.broker.lag("booking", ["pet.created"])
    assert sum(lag.pending for lag in lags) == 0
    assert world.inbox_size() == 1


async def test_a_poison_message_is_dead_lettered_after_exactly_n_deliveries() -> None:
    attempts: dict[UUID, int] = {}

    def poisoned(world_uow: Any) -> Subscription:
        healthy = booking_subscription(world_uow)

        async def on_pet_created(event: PetCreated, uow: Any) -> None:
            attempts[event.pet_id] = attempts.get(event.pet_id, 0) + 1
            if event.name == "Poison":
                raise RuntimeError("cannot digest this pet")
            await healthy.handlers[PetCreated](event, uow)

        return Subscription("booking", world_uow, {**healthy.handlers, PetCreated: on_pet_created})

    store = in_memory_booking_store()
    world = World(
        subscription_override=poisoned(lambda: InMemoryBookingUnitOfWork(store)),
        settings=ConsumerSettings(block_ms=0, max_deliveries=4),
    )
    world.booking_store = store
    world.booking = MessageBus()
    BookingHandlers(BookingDependencies(uow=lambda: InMemoryBookingUnitOfWork(store))).register(
        world.booking
    )
    _, before = await world.owner_with_pet("Rex")
    _, poison = await world.owner_with_pet("Poison")
    _, after = await world.owner_with_pet("Tama")

    await world.bus.drain()

    assert attempts[poison.id] == 4
    letters = await world.bus.broker.dead_letters("booking", count=10)
    assert [(letter.deliveries, "cannot digest" in letter.error) for letter in letters] == [
        (4, True)
    ]
    assert (await world.cached(before.id)).name == "Rex"
    assert (await world.cached(after.id)).name == "Tama"

    # Redriven without a fix, it gets a full set of deliveries again and returns.
    assert await world.bus.broker.redrive("booking") == 1
    await world.bus.drain()
    assert attempts[poison.id] == 8
    assert len(await world.bus.broker.dead_letters("booking", count=10)) == 1


async def test_consumers_work_in_the_context_of_the_request_that_caused_the_event() -> None:
    seen: list[MessageContext | None] = []
    world = World()
    healthy = world.subscription

    async def spy(event: PetCreated, uow: Any) -> None:
        seen.append(current_context())
        await healthy.handlers[PetCreated](event, uow)

    world.bus = InMemoryEventBus(
        {"auth": world.auth_store},
        [Subscription("booking", world.booking_uow, {**healthy.handlers, PetCreated: spy})],
    )
    request = MessageContext.start("req-42")
    with message_context(request):
        _, pet = await world.owner_with_pet()

    await world.bus.drain()

    [context] = seen
    assert context is not None
    assert context.correlation_id == "req-42"
    assert context.traceparent.split("-")[1] == request.traceparent.split("-")[1]  # same trace
    assert context.traceparent != request.traceparent  # a new span
    assert context.causation_id is not None and context.causation_id != str(pet.id)


async def test_the_consumer_prunes_its_inbox_after_the_retention() -> None:
    world = World(settings=ConsumerSettings(block_ms=0, inbox_retention=timedelta(hours=1)))
    await world.owner_with_pet()
    await world.bus.drain()
    [consumer] = world.bus.consumers

    assert await consumer.prune_inbox() == 0  # handled just now: kept
    assert world.inbox_size() == 1
    for key in world.booking_store.state.inbox:  # an hour and a second later
        world.booking_store.state.inbox[key] -= timedelta(hours=1, seconds=1)
    assert await consumer.prune_inbox() == 1
    assert world.inbox_size() == 0


async def test_concurrent_claims_publish_every_row_once() -> None:
    world = World(relay_settings=RelaySettings(batch_size=2, concurrent_claims=3))
    owner, pet = await world.owner_with_pet()
    await _rename_many(world, owner, pet, 8)

    report = await world.bus.drain()

    assert report.relayed == 10  # user.created, pet.created, eight pet.updated: each once
    assert (await world.cached(pet.id)).version == 9


async def test_a_restarted_relay_replays_only_what_came_after_its_saved_safe_point() -> None:
    world = World()
    owner, pet = await world.owner_with_pet()
    await world.bus.drain()
    [relay] = world.bus.relays
    assert await relay.check_broker() == 0  # everything consumed: the safe point is saved
    saved = world.auth_store.relay_checkpoint
    assert saved is not None and saved.broker_identity == await world.bus.broker.server_identity()
    await _rename_many(world, owner, pet, 2)
    await world.bus.drain()  # published after the safe point

    # The process restarts: its in-process broker comes back empty.
    restarted = InMemoryEventBus({"auth": world.auth_store}, [world.subscription])
    [new_relay] = restarted.relays
    assert await new_relay.check_broker() == 2  # the two renames, not the whole history
    await restarted.drain()
    assert (await world.cached(pet.id)).version == 3

    world.auth_store.relay_checkpoint = None  # no checkpoint: everything within retention
    again = InMemoryEventBus({"auth": world.auth_store}, [world.subscription])
    assert await again.relays[0].check_broker() == 4  # user, pet, two renames


async def test_a_relay_restarting_after_a_loss_notices_it_though_groups_exist_again() -> None:
    world = World()
    await world.owner_with_pet()
    await world.bus.drain()
    [relay] = world.bus.relays
    await relay.check_broker()  # checkpoint: safe point and the broker identity seen
    # Redis restarts empty while the relay is down too; a consumer recreates its groups.
    world.bus.broker.lose_everything()
    [consumer] = world.bus.consumers
    await world.bus.broker.ensure_groups("booking", consumer.topics)

    saved = world.auth_store.relay_checkpoint
    assert saved is not None
    # (An hour back, so the two events published before it count as "since the safe point".)
    world.auth_store.relay_checkpoint = RelayCheckpoint(
        saved.safe_point - timedelta(hours=1), saved.broker_identity
    )
    restarted = OutboxRelay(
        InMemoryOutboxStore(world.auth_store, "auth"),
        world.bus.broker,
        routes_of("auth", [world.subscription]),
    )

    # The identity it saw before differs: the loss shows though no group is missing.
    assert await restarted.check_broker() == 2


class _AnswerLostBroker:
    """The memory broker, except that a read's answer is lost on its way back: the messages
    are handed to the consumer (pending) and the read then waits until it is cancelled, as a
    Redis read can when the stop comes just as the broker answers."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker
        self.cut_short = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    async def read(self, *args: Any, **kwargs: Any) -> Any:
        handed = await self._broker.read(*args, **kwargs)
        if handed:
            self.cut_short.set()
            await asyncio.Event().wait()  # never answers
        return handed


async def test_a_stop_during_a_read_handles_what_the_read_handed_over() -> None:
    world = World()
    _, pet = await world.owner_with_pet()
    for relay in world.bus.relays:
        await relay.check_broker()
        await relay.relay_all()
    [consumer] = world.bus.consumers
    broker = _AnswerLostBroker(world.bus.broker)
    consumer._broker = broker  # type: ignore[assignment]
    stop = asyncio.Event()

    running = asyncio.create_task(consumer.run(stop))
    await asyncio.wait_for(broker.cut_short.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)

    assert (await world.cached(pet.id)).name == "Pochi"
    lags = await world.bus.broker.lag(consumer.group, list(consumer.topics))
    assert all(lag.pending == 0 for lag in lags)
