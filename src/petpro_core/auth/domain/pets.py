"""The Pet aggregate: owned by one user, validated on every construction."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from petpro_core.contracts.auth import PetCreated, PetDeleted, PetUpdated, kilograms_to_grams
from petpro_core.shared.errors import InvalidInput

MAX_NAME_LENGTH = 100
MAX_BREED_LENGTH = 100
MAX_NOTES_LENGTH = 2000
MAX_WEIGHT_KG = Decimal("5000")
_WEIGHT_STEP = Decimal("0.001")
MICROCHIP_DIGITS = 15
# The calendar date is already "today" somewhere on Earth up to UTC+14.
_EARLIEST_OFFSET = timedelta(hours=14)


class Species(StrEnum):
    DOG = "dog"
    CAT = "cat"
    RABBIT = "rabbit"
    BIRD = "bird"
    REPTILE = "reptile"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


def _text(value: str, field: str, max_length: int, *, multiline: bool = False) -> str:
    cleaned = unicodedata.normalize("NFKC", value).strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in cleaned):
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    return cleaned


def _check_born_by(date_of_birth: date | None, now: datetime) -> None:
    """No pet is born after the latest calendar date anywhere on Earth right now."""
    if date_of_birth is not None and date_of_birth > (now + _EARLIEST_OFFSET).date():
        raise InvalidInput("date_of_birth must not be in the future", field="date_of_birth")


@dataclass(frozen=True, kw_only=True)
class Pet:
    id: UUID
    owner_id: UUID
    name: str
    species: Species
    breed: str | None
    sex: Sex
    date_of_birth: date | None
    weight_kg: Decimal | None
    microchip: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "name", _text(self.name, "name", MAX_NAME_LENGTH))
        try:
            set_(self, "species", Species(self.species))
        except ValueError:
            allowed = ", ".join(s.value for s in Species)
            raise InvalidInput(f"species must be one of: {allowed}", field="species") from None
        try:
            set_(self, "sex", Sex(self.sex))
        except ValueError:
            allowed = ", ".join(s.value for s in Sex)
            raise InvalidInput(f"sex must be one of: {allowed}", field="sex") from None
        if self.breed is not None:
            set_(self, "breed", _text(self.breed, "breed", MAX_BREED_LENGTH))
        if self.notes is not None:
            set_(self, "notes", _text(self.notes, "notes", MAX_NOTES_LENGTH, multiline=True))
        if self.weight_kg is not None:
            if isinstance(self.weight_kg, float) or not isinstance(self.weight_kg, Decimal):
                raise InvalidInput("weight_kg must be a decimal number", field="weight_kg")
            if not self.weight_kg.is_finite() or not 0 < self.weight_kg <= MAX_WEIGHT_KG:
                raise InvalidInput(
                    f"weight_kg must be positive and at most {MAX_WEIGHT_KG}", field="weight_kg"
                )
            if self.weight_kg != self.weight_kg.quantize(_WEIGHT_STEP):
                raise InvalidInput("weight_kg has at most 3 decimal places", field="weight_kg")
        if self.microchip is not None and not (
            len(self.microchip) == MICROCHIP_DIGITS
            and self.microchip.isascii()
            and self.microchip.isdigit()
        ):
            raise InvalidInput(
                f"microchip must be exactly {MICROCHIP_DIGITS} digits (ISO 11784)",
                field="microchip",
            )

    @classmethod
    def register(
        cls, *, pet_id: UUID, owner_id: UUID, now: datetime, **fields: Any
    ) -> tuple[Pet, PetCreated]:
        pet = cls(id=pet_id, owner_id=owner_id, created_at=now, updated_at=now, **fields)
        _check_born_by(pet.date_of_birth, now)
        return pet, PetCreated(occurred_at=now, aggregate_version=1, **pet._public())

    def with_changes(self, now: datetime, **changes: Any) -> tuple[Pet, PetUpdated | None]:
        changed = replace(self, **changes)
        if changed == self:
            return self, None
        _check_born_by(changed.date_of_birth, now)
        bumped = replace(changed, version=self.version + 1, updated_at=now)
        return bumped, PetUpdated(
            occurred_at=now, aggregate_version=bumped.version, **bumped._public()
        )

    def deleted(self, now: datetime) -> PetDeleted:
        return PetDeleted(
            occurred_at=now,
            aggregate_version=self.version + 1,
            pet_id=self.id,
            owner_id=self.owner_id,
        )

    def _public(self) -> dict[str, Any]:
        """What other contexts learn of a pet (pet.created/updated v2). Notes stay private to
        the owner and vets; the weight travels in whole grams."""
        return {
            "pet_id": self.id,
            "owner_id": self.owner_id,
            "name": self.name,
            "species": self.species.value,
            "breed": self.breed,
            "sex": self.sex.value,
            "date_of_birth": self.date_of_birth,
            "weight_grams": kilograms_to_grams(self.weight_kg),
            "microchip": self.microchip,
        }
