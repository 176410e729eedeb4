"""What the clinic context needs from outside, named by role."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Protocol
from uuid import UUID

from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.shared.pagination import PageRequest
from petpro_core.shared.unit_of_work import UnitOfWork

__all__ = [
    "ClinicRepository",
    "ClinicUnitOfWork",
    "ClinicUnitOfWorkFactory",
    "ScheduleRepository",
    "ServiceRepository",
    "StaffDirectory",
]


class ClinicRepository(Protocol):
    async def get(self, clinic_id: UUID) -> Clinic | None: ...

    async def add(self, clinic: Clinic) -> None: ...

    async def save(self, clinic: Clinic) -> None:
        """Store a changed clinic whose `version` is one more than the stored one, else
        raise ConcurrentClinicUpdate (another writer changed it first)."""
        ...

    async def list(self, page: PageRequest) -> tuple[Sequence[Clinic], int]:
        """Clinics in the order they were created, and how many there are in all."""
        ...

    async def with_staff_member(self, user_id: UUID) -> builtins.list[Clinic]:
        """The clinics whose staff include the user, in the order they were created."""
        ...


class ServiceRepository(Protocol):
    async def get(self, service_id: UUID) -> Service | None: ...

    async def add(self, service: Service) -> None: ...

    async def save(self, service: Service) -> None:
        """Like ClinicRepository.save: the stored version must be `service.version - 1`."""
        ...

    async def of_clinic(self, clinic_id: UUID, *, include_inactive: bool) -> list[Service]:
        """A clinic's services in the order they were added."""
        ...


class ScheduleRepository(Protocol):
    async def of_clinic(self, clinic_id: UUID) -> Schedule | None: ...

    async def add(self, schedule: Schedule) -> None: ...

    async def save(self, schedule: Schedule) -> None:
        """Like ClinicRepository.save: the stored version must be `schedule.version - 1`."""
        ...


class ClinicUnitOfWork(UnitOfWork, Protocol):
    clinics: ClinicRepository
    services: ServiceRepository
    schedules: ScheduleRepository


ClinicUnitOfWorkFactory = Callable[[], ClinicUnitOfWork]


class StaffDirectory(Protocol):
    """Who users are, from the identity owner (auth): a clinic takes on staff only in a
    role their account holds."""

    async def roles_of(self, user_id: UUID) -> frozenset[str] | None:
        """The user's role names, or None when there is no such user."""
        ...
