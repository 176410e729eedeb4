"""In-memory adapters of the booking context: the pet cache, the inbox and the unit of work.

The memory pet cache applies at once (the version check included); the SQL one buffers
until commit. Both end in the same state, which the contract tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.ports import PetCacheRepository
from petpro_core.shared.subscriptions import Inbox


@dataclass
class BookingState:
    pet_cache: dict[UUID, CachedPet] = field(default_factory=dict)
    # (consumer, event id) → when it was handled
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> BookingState:
        return BookingState(pet_cache=dict(self.pet_cache), inbox=dict(self.inbox))


class InMemoryPetCacheRepository:
    def __init__(self, state: BookingState) -> None:
        self._cache = state.pet_cache

    async def get(self, pet_id: UUID) -> CachedPet | None:
        return self._cache.get(pet_id)

    def apply(self, pet: CachedPet) -> None:
        if pet.supersedes(self._cache.get(pet.pet_id)):
            self._cache[pet.pet_id] = pet


class InMemoryInbox:
    def __init__(self, state: BookingState) -> None:
        self._handled = state.inbox

    async def claim(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        new_ids = {event_id for event_id in event_ids if (consumer, event_id) not in self._handled}
        handled_at = datetime.now(UTC)
        self._handled.update({(consumer, event_id): handled_at for event_id in new_ids})
        return new_ids

    async def prune(self, handled_before: datetime) -> int:
        old = [key for key, handled_at in self._handled.items() if handled_at < handled_before]
        for key in old:
            del self._handled[key]
        return len(old)


class InMemoryBookingUnitOfWork(InMemoryUnitOfWork[BookingState]):
    inbox: Inbox
    pet_cache: PetCacheRepository

    def _bind(self, working: BookingState) -> None:
        self.inbox = InMemoryInbox(working)
        self.pet_cache = InMemoryPetCacheRepository(working)


def in_memory_booking_store() -> InMemoryStore[BookingState]:
    return InMemoryStore(state=BookingState())
