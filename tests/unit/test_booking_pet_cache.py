"""The pet cache projection on memory: booking's copy of auth's pets never goes backwards,
and a redelivered event is handled once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.booking import InMemoryBookingUnitOfWork, in_memory_booking_store
from petpro_core.booking.commands import GetCachedPet
from petpro_core.booking.domain.errors import CachedPetNotFound
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.handlers import BookingDependencies, BookingHandlers
from petpro_core.booking.subscriptions import booking_subscription
from petpro_core.contracts.auth import PetCreated, PetDeleted, PetSnapshot, PetUpdated
from petpro_core.contracts.catalog import subscribed_by
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.subscriptions import Subscription

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OWNER = UUID("00000000-0000-4000-8000-0000000000aa")


def pet_snapshot(
    event_type: type[PetSnapshot],
    pet_id: UUID,
    version: int,
    *,
    name: str = "Mochi",
    breed: str | None = "Shiba-ish",
    event_id: UUID | None = None,
) -> PetSnapshot:
    described: dict[str, Any] = {
        "pet_id": pet_id,
        "owner_id": OWNER,
        "name": name,
        "species": "cat",
        "breed": breed,
        "sex": "female",
        "date_of_birth": None,
        "microchip": None,
        "aggregate_version": version,
        "occurred_at": T0 + timedelta(minutes=version),
        "event_id": event_id or new_id(),
    }
    # The cache ignores the weight, whatever the event's version calls it: leave it empty.
    unset = {
        f.name: None
        for f in fields(event_type)
        if f.name not in described and f.default is MISSING and f.default_factory is MISSING
    }
    return event_type(**described, **unset)


def pet_deleted(pet_id: UUID, version: int) -> PetDeleted:
    return PetDeleted(
        pet_id=pet_id,
        owner_id=OWNER,
        aggregate_version=version,
        occurred_at=T0 + timedelta(minutes=version),
    )


class Booking:
    """The booking subscription on a memory store, fed by a consumer loop in miniature."""

    def __init__(self) -> None:
        store = in_memory_booking_store()
        self.subscription: Subscription = booking_subscription(
            lambda: InMemoryBookingUnitOfWork(store)
        )
        self.bus = MessageBus()
        BookingHandlers(BookingDependencies(uow=lambda: InMemoryBookingUnitOfWork(store))).register(
            self.bus
        )

    async def deliver(self, *batches: Sequence[Event]) -> list[UUID]:
        """Each batch in one unit of work: claim the inbox rows, run the handlers of the new
        events (a duplicate within the batch once), commit. Answers the ids handled."""
        handled: list[UUID] = []
        for batch in batches:
            async with self.subscription.unit_of_work() as uow:
                new_ids = await uow.inbox.claim(
                    self.subscription.consumer, [event.event_id for event in batch]
                )
                for event in batch:
                    if event.event_id not in new_ids:
                        continue
                    new_ids.discard(event.event_id)
                    handler = self.subscription.handler_for(event)
                    assert handler is not None, f"booking does not handle {event.NAME}"
                    await handler(event, uow)
                    handled.append(event.event_id)
                await uow.commit()
        return handled

    async def cached(self, pet_id: UUID, *, include_deleted: bool = False) -> CachedPet:
        pet: CachedPet = await self.bus.execute(
            GetCachedPet(pet_id=pet_id, include_deleted=include_deleted)
        )
        return pet


@pytest.fixture
def booking() -> Booking:
    return Booking()


def test_booking_consumes_the_pet_events_the_catalog_routes_to_it() -> None:
    subscription = Booking().subscription
    assert subscription.consumer == "booking"
    assert {"pet.created", "pet.deleted", "pet.updated"} <= set(subscription.event_names)
    assert set(subscription.event_names) <= {e.name for e in subscribed_by("booking")}


async def test_a_created_pet_is_cached(booking: Booking) -> None:
    pet_id = new_id()
    created = pet_snapshot(PetCreated, pet_id, 1, breed=None)

    assert await booking.deliver([created]) == [created.event_id]

    assert await booking.cached(pet_id) == CachedPet(
        pet_id=pet_id,
        owner_id=OWNER,
        name="Mochi",
        species="cat",
        breed=None,
        version=1,
        deleted=False,
        updated_at=created.occurred_at,
    )


async def test_an_update_with_a_higher_version_wins(booking: Booking) -> None:
    pet_id = new_id()
    await booking.deliver([pet_snapshot(PetCreated, pet_id, 1)])
    await booking.deliver([pet_snapshot(PetUpdated, pet_id, 2, name="Mochi II", breed="Mix")])

    cached = await booking.cached(pet_id)
    assert (cached.name, cached.breed, cached.version) == ("Mochi II", "Mix", 2)
    assert cached.updated_at == T0 + timedelta(minutes=2)


async def test_an_older_version_after_a_newer_one_is_ignored(booking: Booking) -> None:
    first, second = new_id(), new_id()
    # Across batches: version 3 first, then the older ones arrive late.
    await booking.deliver(
        [pet_snapshot(PetUpdated, first, 3, name="Three")],
        [pet_snapshot(PetUpdated, first, 2, name="Two"), pet_snapshot(PetCreated, first, 1)],
    )
    # Within one batch, out of order.
    await booking.deliver(
        [
            pet_snapshot(PetUpdated, second, 2, name="Two"),
            pet_snapshot(PetUpdated, second, 3, name="Three"),
            pet_snapshot(PetCreated, second, 1, name="One"),
        ]
    )

    for pet_id in (first, second):
        cached = await booking.cached(pet_id)
        assert (cached.name, cached.version) == ("Three", 3)


async def test_a_deleted_pet_stays_deleted_when_an_older_update_arrives(booking: Booking) -> None:
    pet_id = new_id()
    await booking.deliver([pet_snapshot(PetCreated, pet_id, 1)], [pet_deleted(pet_id, 3)])
    await booking.deliver([pet_snapshot(PetUpdated, pet_id, 2, name="Back again?")])

    with pytest.raises(CachedPetNotFound):
        await booking.cached(pet_id)
    tombstone = await booking.cached(pet_id, include_deleted=True)
    assert tombstone == CachedPet.tombstone(
        pet_id=pet_id, owner_id=OWNER, version=3, updated_at=T0 + timedelta(minutes=3)
    )
    assert (tombstone.name, tombstone.breed) == ("", None)  # the details are forgotten


async def test_a_deletion_arriving_before_the_creation_wins(booking: Booking) -> None:
    pet_id = new_id()
    await booking.deliver([pet_deleted(pet_id, 2)], [pet_snapshot(PetCreated, pet_id, 1)])

    assert (await booking.cached(pet_id, include_deleted=True)).deleted


async def test_a_duplicated_event_is_handled_once(booking: Booking) -> None:
    pet_id = new_id()
    created = pet_snapshot(PetCreated, pet_id, 1)
    updated = pet_snapshot(PetUpdated, pet_id, 2, name="Renamed")

    handled = await booking.deliver([created, created, updated], [updated, created])

    assert handled == [created.event_id, updated.event_id]
    assert (await booking.cached(pet_id)).name == "Renamed"


async def test_a_pet_booking_never_heard_of_is_not_found(booking: Booking) -> None:
    with pytest.raises(CachedPetNotFound):
        await booking.cached(new_id(), include_deleted=True)


def test_a_cached_pet_is_validated() -> None:
    valid: dict[str, Any] = {
        "pet_id": new_id(),
        "owner_id": OWNER,
        "name": "Mochi",
        "species": "cat",
        "breed": None,
        "version": 1,
        "updated_at": T0,
    }
    assert CachedPet(**valid).name == "Mochi"
    for wrong in (
        {"version": 0},
        {"name": ""},
        {"name": "x" * 101},
        {"species": ""},
        {"breed": "b" * 101},
        {"updated_at": datetime(2026, 3, 1, 9, 0)},
        {"deleted": True},  # a tombstone keeps no details
    ):
        with pytest.raises(ValueError):
            CachedPet(**{**valid, **wrong})


def test_only_a_strictly_newer_version_supersedes() -> None:
    pet_id = new_id()
    two = CachedPet.tombstone(pet_id=pet_id, owner_id=OWNER, version=2, updated_at=T0)
    assert two.supersedes(None)
    assert two.supersedes(
        CachedPet.tombstone(pet_id=pet_id, owner_id=OWNER, version=1, updated_at=T0)
    )
    assert not two.supersedes(two)
    assert not two.supersedes(
        CachedPet.tombstone(pet_id=pet_id, owner_id=OWNER, version=3, updated_at=T0)
    )
