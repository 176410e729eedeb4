"""Booking's read models of the clinic context: clinics (profile, time zone, booking policy,
staff), their services and their schedules, each kept from `clinic.*`, `service.*` and
`schedule.*` events and versioned like the pet cache so they never go backwards."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from petpro_core.contracts.clinic import (
    BookingPolicy,
    ScheduleException,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.money import Money


@dataclass(frozen=True, kw_only=True)
class CachedClinic:
    clinic_id: UUID
    name: str
    time_zone: str
    policy: BookingPolicy
    staff: tuple[StaffMember, ...]
    version: int

    def supersedes(self, current: CachedClinic | None) -> bool:
        return current is None or self.version > current.version

    def is_staff(self, user_id: UUID) -> bool:
        return any(member.user_id == user_id for member in self.staff)

    @property
    def vet_ids(self) -> tuple[UUID, ...]:
        return tuple(m.user_id for m in self.staff if m.role == "vet")


@dataclass(frozen=True, kw_only=True)
class CachedService:
    service_id: UUID
    clinic_id: UUID
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: Money
    species: tuple[str, ...]  # empty: any species
    vet_ids: tuple[UUID, ...]
    active: bool
    version: int

    def supersedes(self, current: CachedService | None) -> bool:
        return current is None or self.version > current.version


@dataclass(frozen=True, kw_only=True)
class CachedSchedule:
    clinic_id: UUID
    weekly_hours: tuple[WorkingHours, ...]
    exceptions: tuple[ScheduleException, ...]
    version: int

    def supersedes(self, current: CachedSchedule | None) -> bool:
        return current is None or self.version > current.version
