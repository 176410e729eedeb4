"""Events published by the auth context (users and pets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from petpro_core.shared.events import Event

_GRAMS_PER_KILOGRAM = Decimal(1000)


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


def kilograms_to_grams(kilograms: Decimal | None) -> int | None:
    """Whole grams, rounded half-even; exact for the domain's weights (at most 3 decimals)."""
    if kilograms is None:
        return None
    if not kilograms.is_finite():
        raise ValueError(f"not a weight in kilograms: {kilograms}")
    return int((kilograms * _GRAMS_PER_KILOGRAM).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, kw_only=True)
class PetSnapshot(Event):
    """Common shape of pet.created and pet.updated (v2): the whole pet after the change.

    v2 replaced v1's `weight_kg` (a decimal) with `weight_grams`, an exact integer."""

    VERSION = 2
    AGGREGATE = "pet"

    pet_id: UUID
    owner_id: UUID
    name: str
    species: str
    breed: str | None
    sex: str
    date_of_birth: date | None
    weight_grams: int | None
    microchip: str | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.weight_grams is not None and self.weight_grams < 1:
            raise ValueError("weight_grams must be positive")

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


# -- superseded versions: kept to read old messages and to pin their committed schemas ----


@dataclass(frozen=True, kw_only=True)
class PetSnapshotV1(Event):
    """pet.created / pet.updated v1: the weight in kilograms as a decimal."""

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
class PetCreatedV1(PetSnapshotV1):
    NAME = "pet.created"


@dataclass(frozen=True, kw_only=True)
class PetUpdatedV1(PetSnapshotV1):
    NAME = "pet.updated"


def pet_snapshot_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """Upcast a pet.created / pet.updated v1 payload: `weight_kg` becomes `weight_grams`.

    A payload without `weight_kg` is left as it is, so decoding reports the missing field."""
    if "weight_kg" not in payload:
        return payload
    upcast = {key: value for key, value in payload.items() if key != "weight_kg"}
    kilograms = payload["weight_kg"]
    if kilograms is not None and (
        isinstance(kilograms, bool) or not isinstance(kilograms, str | int | float)
    ):
        raise ValueError(f"weight_kg must be a decimal number, got {kilograms!r}")
    try:
        # str() first: a JSON number arrives as a float, and Decimal(float) is its binary value.
        decimal = None if kilograms is None else Decimal(str(kilograms))
    except InvalidOperation:
        raise ValueError(f"weight_kg is not a decimal number: {kilograms!r}") from None
    upcast["weight_grams"] = kilograms_to_grams(decimal)
    return upcast


AUTH_EVENTS: tuple[type[Event], ...] = (
    UserCreated,
    UserUpdated,
    PetCreated,
    PetUpdated,
    PetDeleted,
)
