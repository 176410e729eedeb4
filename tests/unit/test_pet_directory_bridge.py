"""The in-process bridge behind booking's PetDirectory: auth's real handlers on memory
answer booking's "does this pet exist, and as which version?" when its cache lags."""

from __future__ import annotations

from datetime import timedelta

from petpro_core.auth.commands import CreatePet, DeletePet, UpdatePet
from petpro_core.auth.domain.pets import Pet
from petpro_core.booking.ports import PetDirectory
from petpro_core.booking.projections import cached_pet_from
from petpro_core.contracts.auth import PetSnapshot
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from runtimes.bridges.pet_directory import AuthPetDirectory
from tests.support.auth import memory_harness
from tests.unit.builders import principal, register


async def test_a_pet_is_found_as_auth_holds_it_now() -> None:
    auth, _ = memory_harness()
    directory: PetDirectory = AuthPetDirectory(lambda: auth.bus)
    owner = principal(await register(auth.bus))
    pet: Pet = await auth.bus.execute(
        CreatePet(actor=owner, name="Mochi", species="cat", breed="Shiba-ish")
    )

    found = await directory.find_pet(pet.id)

    assert found is not None
    assert (found.pet_id, found.owner_id, found.name, found.species, found.breed) == (
        pet.id,
        owner.user_id,
        "Mochi",
        "cat",
        "Shiba-ish",
    )
    assert (found.version, found.deleted, found.updated_at) == (1, False, pet.updated_at)

    auth.clock.advance(timedelta(minutes=5))
    await auth.bus.execute(UpdatePet(actor=owner, pet_id=pet.id, name="Mochi II", breed=None))
    renamed = await directory.find_pet(pet.id)
    assert renamed is not None
    assert (renamed.name, renamed.breed, renamed.version) == ("Mochi II", None, 2)


async def test_the_answer_is_what_the_pet_events_would_have_cached() -> None:
    """A cache filled from the directory and one filled from events agree, versions
    included, so later events neither go backwards nor get ignored wrongly."""
    auth, store = memory_harness()
    directory = AuthPetDirectory(lambda: auth.bus)
    owner = principal(await register(auth.bus))
    pet: Pet = await auth.bus.execute(CreatePet(actor=owner, name="Pochi", species="dog"))
    auth.clock.advance(timedelta(minutes=1))
    await auth.bus.execute(UpdatePet(actor=owner, pet_id=pet.id, name="Pochi II"))

    [last_event] = [e for e in store.outbox if isinstance(e, PetSnapshot)][-1:]
    assert await directory.find_pet(pet.id) == cached_pet_from(last_event)


async def test_unknown_and_deleted_pets_are_not_found() -> None:
    auth, _ = memory_harness()
    directory = AuthPetDirectory(lambda: auth.bus)
    owner = principal(await register(auth.bus))
    pet: Pet = await auth.bus.execute(CreatePet(actor=owner, name="Rex", species="dog"))
    await auth.bus.execute(DeletePet(actor=owner, pet_id=pet.id))

    assert await directory.find_pet(pet.id) is None
    assert await directory.find_pet(new_id()) is None


async def test_the_bus_is_looked_up_when_asked_not_when_built() -> None:
    buses: list[MessageBus] = []
    directory = AuthPetDirectory(lambda: buses[0])  # built before the bus exists
    auth, _ = memory_harness()
    buses.append(auth.bus)
    owner = principal(await register(auth.bus))
    pet: Pet = await auth.bus.execute(CreatePet(actor=owner, name="Tama", species="cat"))

    found = await directory.find_pet(pet.id)
    assert found is not None and found.name == "Tama"
