"""Booking's PetDirectory, answered by auth (the owner of pets): booking validates a pet
against its event-fed pet cache and falls back to this when the cache has not caught up.

It executes auth's GetPet as the operator on the shared message bus (the all-in-one
deployment; split services put an HTTP adapter behind the same port). The answer carries
the pet's version, so a cache filled from it never goes backwards against later events.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from petpro_core.auth.commands import GetPet
from petpro_core.auth.domain.errors import PetNotFound
from petpro_core.auth.domain.pets import Pet
from petpro_core.auth.domain.roles import OPERATOR
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.shared.messagebus import MessageBus


def cached_pet(pet: Pet) -> CachedPet:
    """What booking keeps of an auth pet (the same fields its pet events carry)."""
    return CachedPet(
        pet_id=pet.id,
        owner_id=pet.owner_id,
        name=pet.name,
        species=pet.species.value,
        breed=pet.breed,
        version=pet.version,
        updated_at=pet.updated_at,
    )


class AuthPetDirectory:
    """`bus_provider` returns the message bus that carries auth's handlers; it is called on
    each lookup, so the directory can be built before that bus (no cycle)."""

    def __init__(self, bus_provider: Callable[[], MessageBus]) -> None:
        self._bus_provider = bus_provider

    async def find_pet(self, pet_id: UUID) -> CachedPet | None:
        """The pet as auth holds it now; None when auth has no such pet (never existed or
        deleted)."""
        try:
            pet: Pet = await self._bus_provider().execute(GetPet(actor=OPERATOR, pet_id=pet_id))
        except PetNotFound:
            return None
        return cached_pet(pet)
