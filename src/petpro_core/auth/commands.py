"""Messages the auth context accepts. Queries are commands that change nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from petpro_core.auth.domain.roles import Principal, Role
from petpro_core.shared.messagebus import Command
from petpro_core.shared.pagination import PageRequest


class Unset(Enum):
    """Marks a field a partial update leaves alone (None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True, kw_only=True)
class RegisterUser(Command):
    """Self-service sign-up: the new user is a pet owner."""

    email: str
    display_name: str
    password: str = field(repr=False)
    language: str = "en"


@dataclass(frozen=True, kw_only=True)
class CreateUser(Command):
    """An admin (or the operator) creates a user with the given roles."""

    actor: Principal
    email: str
    display_name: str
    password: str = field(repr=False)
    roles: frozenset[Role]
    language: str = "en"


@dataclass(frozen=True, kw_only=True)
class Login(Command):
    email: str
    password: str = field(repr=False)
    client_address: str


@dataclass(frozen=True, kw_only=True)
class RefreshSession(Command):
    refresh_token: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class Logout(Command):
    refresh_token: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class Authenticate(Command):
    """Resolve a bearer access token to the acting principal."""

    access_token: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class GetUser(Command):
    actor: Principal
    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class UpdateProfile(Command):
    actor: Principal
    display_name: str | None = None
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangePassword(Command):
    actor: Principal
    current_password: str = field(repr=False)
    new_password: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ListUsers(Command):
    actor: Principal
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class ChangeRoles(Command):
    actor: Principal
    user_id: UUID
    grant: frozenset[Role] = frozenset()
    revoke: frozenset[Role] = frozenset()


@dataclass(frozen=True, kw_only=True)
class FindUserByEmail(Command):
    actor: Principal
    email: str


@dataclass(frozen=True, kw_only=True)
class CreatePet(Command):
    actor: Principal
    name: str
    species: str
    sex: str = "unknown"
    breed: str | None = None
    date_of_birth: date | None = None
    weight_kg: Decimal | None = None
    microchip: str | None = None
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetPet(Command):
    actor: Principal
    pet_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListPets(Command):
    """The actor's pets; admins may name another owner, or all owners with all_owners."""

    actor: Principal
    page: PageRequest = field(default_factory=PageRequest)
    owner_id: UUID | None = None
    all_owners: bool = False


@dataclass(frozen=True, kw_only=True)
class UpdatePet(Command):
    actor: Principal
    pet_id: UUID
    name: str | Unset = UNSET
    species: str | Unset = UNSET
    sex: str | Unset = UNSET
    breed: str | Unset | None = UNSET
    date_of_birth: date | Unset | None = UNSET
    weight_kg: Decimal | Unset | None = UNSET
    microchip: str | Unset | None = UNSET
    notes: str | Unset | None = UNSET

    def changes(self) -> dict[str, object]:
        fields = (
            "name",
            "species",
            "sex",
            "breed",
            "date_of_birth",
            "weight_kg",
            "microchip",
            "notes",
        )
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not UNSET}


@dataclass(frozen=True, kw_only=True)
class DeletePet(Command):
    actor: Principal
    pet_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListBookingHistory(Command):
    """A user's bookings, the latest start first: one's own; admins may read anyone's."""

    actor: Principal
    user_id: UUID
    page: PageRequest = field(default_factory=PageRequest)
