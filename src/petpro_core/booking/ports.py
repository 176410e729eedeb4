"""What the booking context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from uuid import UUID

from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = ["BookingUnitOfWork", "BookingUnitOfWorkFactory", "PetCacheRepository"]


class PetCacheRepository(Protocol):
    async def get(self, pet_id: UUID) -> CachedPet | None:
        """The entry as it will be after commit (tombstones included): what this unit of
        work applied counts, unless the store already holds a newer version."""
        ...

    def apply(self, pet: CachedPet) -> None:
        """Upsert the entry if it supersedes the stored one (a strictly higher version),
        else ignore it: the projection never goes backwards. It may be buffered until the
        unit of work commits; several versions of one pet in one unit of work end as the
        highest of them."""
        ...


class BookingUnitOfWork(InboxUnitOfWork, Protocol):
    pet_cache: PetCacheRepository


BookingUnitOfWorkFactory = Callable[[], BookingUnitOfWork]
