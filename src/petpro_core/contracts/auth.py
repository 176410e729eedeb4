"""Events published by the auth context (users and pets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from petpro_core.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class UserSnapshot(Event):
    """Common shape of user.created and user.updated: the public profile after the change,
    whole, so consumers can upsert."""

    AGGREGATE = "user"

    user_id: UUID
    email: str
    display_name: str
    roles: tuple[str, ...]
    language: str

    @property
    def aggregate_id(self) -> UUID:
        return self.user_id


@dataclass(frozen=True, kw_only=True)
class UserCreated(UserSnapshot):
    NAME = "user.created"


@dataclass(frozen=True, kw_only=True)
class UserUpdated(UserSnapshot):
    NAME = "user.updated"


@dataclass(frozen=True, kw_only=True)
class PetSnapshot(Event):
    """Common shape of pet.created and pet.updated: the whole pet after the change."""

    AGGREGATE = "pet"

    pet_id: UUID
    owner_id: UUID
    name: str
    species: str
    breed: str | None
    sex: str
    date_of_birth: date | None
    weight_kg: Decimal | None
    microchip: str | None

    @property
    def aggregate_id(self) -> UUID:
        return self.pet_id


@dataclass(frozen=True, kw_only=True)
class PetCreated(PetSnapshot):
    NAME = "pet.created"


@dataclass(frozen=True, kw_only=True)
class PetUpdated(PetSnapshot):
    NAME = "pet.updated"


@dataclass(frozen=True, kw_only=True)
class PetDeleted(Event):
    NAME = "pet.deleted"
    AGGREGATE = "pet"

    pet_id: UUID
    owner_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.pet_id


AUTH_EVENTS: tuple[type[Event], ...] = (
    UserCreated,
    UserUpdated,
    PetCreated,
    PetUpdated,
    PetDeleted,
)
