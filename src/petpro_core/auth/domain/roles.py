"""Roles, permissions and the acting principal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    PET_OWNER = "pet_owner"
    VET = "vet"
    CLINIC_STAFF = "clinic_staff"
    VENDOR = "vendor"
    ADMIN = "admin"


class Permission(StrEnum):
    MANAGE_OWN_PETS = "pets:own"
    READ_ALL_PETS = "pets:read-all"
    LIST_USERS = "users:list"
    MANAGE_ROLES = "users:roles"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PET_OWNER: frozenset({Permission.MANAGE_OWN_PETS}),
    Role.VET: frozenset(),
    Role.CLINIC_STAFF: frozenset(),
    Role.VENDOR: frozenset(),
    Role.ADMIN: frozenset(
        {Permission.READ_ALL_PETS, Permission.LIST_USERS, Permission.MANAGE_ROLES}
    ),
}


def parse_roles(raw: object) -> frozenset[Role]:
    values = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    try:
        return frozenset(Role(value) for value in values)
    except ValueError as exc:
        allowed = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role; allowed: {allowed}") from exc


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: an authenticated user, or the operator at the admin CLI."""

    user_id: UUID
    roles: frozenset[Role]

    def can(self, permission: Permission) -> bool:
        return any(permission in ROLE_PERMISSIONS[role] for role in self.roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


# The operator at the console (`petpro users ...`): trusted by having shell access.
OPERATOR = Principal(user_id=UUID(int=0), roles=frozenset({Role.ADMIN}))
