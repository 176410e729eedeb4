"""The pet cache: booking's read-optimised copy of the pets the auth context owns.

It is a projection of auth's pet events, so it must never go backwards: an entry only
replaces one with a lower pet version. A deleted pet stays as a tombstone that keeps its
version (and nothing else the owner told us), so an older `pet.updated` arriving after the
`pet.deleted` cannot bring the pet back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from petpro_core.shared.clock import ensure_aware

# The widths of the seed's booking_pet_cache columns; checked here so every store agrees.
MAX_NAME_LENGTH = 100
MAX_SPECIES_LENGTH = 50
MAX_BREED_LENGTH = 100


@dataclass(frozen=True, kw_only=True)
class CachedPet:
    pet_id: UUID
    owner_id: UUID
    name: str
    species: str
    breed: str | None
    version: int  # the pet aggregate's version this entry reflects
    deleted: bool = False
    updated_at: datetime  # when the pet last changed at its owner (the event's occurred_at)

    def __post_init__(self) -> None:
        object.__setattr__(self, "updated_at", ensure_aware(self.updated_at))
        if self.version < 1:
            raise ValueError("a pet's version starts at 1")
        if self.deleted:
            if self.name or self.species or self.breed is not None:
                raise ValueError("a deleted pet's tombstone keeps no details")
            return
        _check_text(self.name, "name", MAX_NAME_LENGTH)
        _check_text(self.species, "species", MAX_SPECIES_LENGTH)
        if self.breed is not None:
            _check_text(self.breed, "breed", MAX_BREED_LENGTH)

    @classmethod
    def tombstone(
        cls, *, pet_id: UUID, owner_id: UUID, version: int, updated_at: datetime
    ) -> CachedPet:
        """The entry of a deleted pet: its identity and version only."""
        return cls(
            pet_id=pet_id,
            owner_id=owner_id,
            name="",
            species="",
            breed=None,
            version=version,
            deleted=True,
            updated_at=updated_at,
        )

    def supersedes(self, current: CachedPet | None) -> bool:
        """Whether this entry replaces `current`: only a strictly newer pet version does."""
        return current is None or self.version > current.version


def _check_text(value: str, field: str, max_length: int) -> None:
    if not 1 <= len(value) <= max_length:
        raise ValueError(f"a cached pet's {field} must be 1 to {max_length} characters")
