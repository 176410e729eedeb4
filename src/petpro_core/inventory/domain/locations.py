"""Stock locations: the clinics (learned from the clinic context's events, never read from
its schema) and the warehouses an admin creates.

Admins manage stock everywhere; a user with the `clinic_staff` role manages stock only at
the clinics whose staff list names them. A clinic's entry follows the clinic's aggregate
version and never goes backwards, whatever order its events arrive in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import InvalidInput

MAX_LOCATION_NAME_LENGTH = 200
CLINIC_STAFF_ROLE = "clinic_staff"


class LocationKind(StrEnum):
    CLINIC = "clinic"
    WAREHOUSE = "warehouse"


def location_name(raw: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not 1 <= len(cleaned) <= MAX_LOCATION_NAME_LENGTH:
        raise InvalidInput(f"name must be 1 to {MAX_LOCATION_NAME_LENGTH} characters", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput("name must not contain control characters", field="name")
    return cleaned


@dataclass(frozen=True, kw_only=True)
class Location:
    location_id: UUID
    kind: LocationKind
    name: str
    # The users on the clinic's staff (any staff role); empty for a warehouse.
    staff: frozenset[UUID] = frozenset()
    # A clinic's: the aggregate version of the clinic event it was learned from.
    version: int = 1
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", LocationKind(self.kind))
        object.__setattr__(self, "name", location_name(self.name))
        object.__setattr__(self, "staff", frozenset(self.staff))
        object.__setattr__(self, "updated_at", ensure_aware(self.updated_at))
        if self.version < 1:
            raise ValueError("a location's version starts at 1")
        if self.kind is LocationKind.WAREHOUSE and self.staff:
            raise ValueError("a warehouse has no clinic staff")

    def supersedes(self, other: Location) -> bool:
        return self.version > other.version

    def managed_by(self, actor: Actor) -> bool:
        """Whether the actor may manage stock here."""
        if actor.is_admin:
            return True
        return (
            self.kind is LocationKind.CLINIC
            and actor.has_role(CLINIC_STAFF_ROLE)
            and actor.user_id in self.staff
        )
