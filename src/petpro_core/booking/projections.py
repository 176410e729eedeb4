"""Booking's projections of other contexts' events: the pet cache, from auth's pet events.

Handlers run inside the consumer's unit of work and never commit: the consumer commits a
whole batch together with its inbox rows. Reordering is harmless because the cache only
accepts a higher pet version (see `CachedPet.supersedes`).
"""

from __future__ import annotations

from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.ports import BookingUnitOfWork
from petpro_core.contracts.auth import PetDeleted, PetSnapshot


def cached_pet_from(event: PetSnapshot) -> CachedPet:
    """The entry for a pet.created / pet.updated: only what booking needs of the pet."""
    return CachedPet(
        pet_id=event.pet_id,
        owner_id=event.owner_id,
        name=event.name,
        species=event.species,
        breed=event.breed,
        version=event.aggregate_version,
        updated_at=event.occurred_at,
    )


def tombstone_from(event: PetDeleted) -> CachedPet:
    return CachedPet.tombstone(
        pet_id=event.pet_id,
        owner_id=event.owner_id,
        version=event.aggregate_version,
        updated_at=event.occurred_at,
    )


async def project_pet_snapshot(event: PetSnapshot, uow: BookingUnitOfWork) -> None:
    uow.pet_cache.apply(cached_pet_from(event))


async def project_pet_deletion(event: PetDeleted, uow: BookingUnitOfWork) -> None:
    uow.pet_cache.apply(tombstone_from(event))
