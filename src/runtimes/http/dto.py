"""Pydantic request and response models: the shapes at the HTTP edge.

Requests reject unknown members. Responses never carry secrets (no password hash).
Decimals travel as JSON strings (``"4.125"``) so no precision is lost; inputs accept a
string or a number.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from petpro_core.auth.domain.pets import Pet, Sex, Species
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.users import Language, User
from petpro_core.auth.handlers import TokenPair

# Generous upper bounds that only cap payload sizes; the core applies the real rules
# (so e.g. a short password is reported as `weak-password`, not as a schema error).
_TEXT = 2000
_PASSWORD = 1024


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=_TEXT)


# -- auth ----------------------------------------------------------------------


class RegisterRequest(_Request):
    email: str = Field(max_length=320, examples=["ada@example.com"])
    display_name: str = Field(max_length=200, examples=["Ada"])
    password: str = Field(
        max_length=_PASSWORD,
        description="At least 12 characters, not guessable, not containing the e-mail.",
    )
    language: Language = Language.EN


class LoginRequest(_Request):
    email: str = Field(max_length=320)
    password: str = Field(max_length=_PASSWORD)


class RefreshRequest(_Request):
    refresh_token: str = Field(min_length=1, max_length=512)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str = Field(description="Opaque; rotates on every refresh, single use.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Lifetime of the access token in seconds.")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


# -- users ---------------------------------------------------------------------


class UserResponse(BaseModel):
    id: UUID
    email: str
    display_name: str
    roles: list[Role]
    language: Language
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserResponse:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            roles=sorted(user.roles),
            language=user.language,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserPage(BaseModel):
    items: list[UserResponse]
    total: int
    limit: int
    offset: int


class ProfileUpdate(_Request):
    display_name: str | None = Field(None, max_length=200, description="Absent or null: unchanged.")
    language: Language | None = Field(None, description="Absent or null: unchanged.")


class PasswordChange(_Request):
    current_password: str = Field(max_length=_PASSWORD)
    new_password: str = Field(max_length=_PASSWORD)


class RoleChange(_Request):
    grant: list[Role] = Field(default_factory=list)
    revoke: list[Role] = Field(default_factory=list)


# -- pets ----------------------------------------------------------------------

_WEIGHT_DESCRIPTION = (
    'Kilograms, positive, up to 3 decimals. Send a string ("4.125") to keep it exact; '
    "a JSON number is accepted too. Returned as a string."
)
_MICROCHIP_DESCRIPTION = "Exactly 15 digits (ISO 11784)."
WeightKg = Annotated[Decimal, Field(gt=0, le=5000, decimal_places=3)]
Microchip = Annotated[str, Field(pattern=r"^[0-9]{15}$")]


class PetCreate(_Request):
    name: str = Field(max_length=200)
    species: Species
    sex: Sex = Sex.UNKNOWN
    breed: str | None = Field(None, max_length=200)
    date_of_birth: date | None = None
    weight_kg: WeightKg | None = Field(None, description=_WEIGHT_DESCRIPTION, examples=["4.125"])
    microchip: Microchip | None = Field(None, description=_MICROCHIP_DESCRIPTION)
    notes: str | None = None


_REQUIRED_PET_FIELDS = ("name", "species", "sex")


class PetUpdate(_Request):
    """Partial update: an absent member is left unchanged; null clears a nullable one."""

    name: str | None = Field(None, max_length=200, description="Not nullable.")
    species: Species | None = Field(None, description="Not nullable.")
    sex: Sex | None = Field(None, description="Not nullable.")
    breed: str | None = Field(None, max_length=200)
    date_of_birth: date | None = None
    weight_kg: WeightKg | None = Field(None, description=_WEIGHT_DESCRIPTION, examples=["4.125"])
    microchip: Microchip | None = Field(None, description=_MICROCHIP_DESCRIPTION)
    notes: str | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> PetUpdate:
        for name in _REQUIRED_PET_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """Only the members the client sent."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class PetResponse(BaseModel):
    id: UUID
    owner_id: UUID
    name: str
    species: Species
    sex: Sex
    breed: str | None
    date_of_birth: date | None
    weight_kg: str | None = Field(description='Kilograms as a decimal string, e.g. "4.125".')
    microchip: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, pet: Pet) -> PetResponse:
        return cls(
            id=pet.id,
            owner_id=pet.owner_id,
            name=pet.name,
            species=pet.species,
            sex=pet.sex,
            breed=pet.breed,
            date_of_birth=pet.date_of_birth,
            weight_kg=None if pet.weight_kg is None else str(pet.weight_kg),
            microchip=pet.microchip,
            notes=pet.notes,
            created_at=pet.created_at,
            updated_at=pet.updated_at,
            version=pet.version,
        )


class PetPage(BaseModel):
    items: list[PetResponse]
    total: int
    limit: int
    offset: int


# -- health --------------------------------------------------------------------


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"
