"""In-memory adapters of the clinic context: clinics, services, schedules and the unit of
work (its outbox is the store's, which the relay reads like the SQL one)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.errors import ConcurrentClinicUpdate
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.clinic.ports import ClinicRepository, ScheduleRepository, ServiceRepository
from petpro_core.shared.pagination import PageRequest


@dataclass
class ClinicState:
    clinics: dict[UUID, Clinic] = field(default_factory=dict)
    services: dict[UUID, Service] = field(default_factory=dict)
    schedules: dict[UUID, Schedule] = field(default_factory=dict)  # by clinic id

    def clone(self) -> ClinicState:
        return ClinicState(
            clinics=dict(self.clinics), services=dict(self.services), schedules=dict(self.schedules)
        )


def _check_next_version(stored_version: int | None, version: int, what: str) -> None:
    if stored_version is None or stored_version != version - 1:
        raise ConcurrentClinicUpdate(f"the {what} was changed by someone else; retry")


class InMemoryClinicRepository:
    def __init__(self, state: ClinicState) -> None:
        self._clinics = state.clinics

    async def get(self, clinic_id: UUID) -> Clinic | None:
        return self._clinics.get(clinic_id)

    async def add(self, clinic: Clinic) -> None:
        if clinic.clinic_id in self._clinics:
            raise ConcurrentClinicUpdate("the clinic already exists")
        self._clinics[clinic.clinic_id] = clinic

    async def save(self, clinic: Clinic) -> None:
        stored = self._clinics.get(clinic.clinic_id)
        _check_next_version(None if stored is None else stored.version, clinic.version, "clinic")
        self._clinics[clinic.clinic_id] = clinic

    def _ordered(self) -> list[Clinic]:
        return sorted(self._clinics.values(), key=lambda c: (c.created_at, c.clinic_id))

    async def list(self, page: PageRequest) -> tuple[Sequence[Clinic], int]:
        ordered = self._ordered()
        return ordered[page.offset : page.offset + page.limit], len(ordered)

    async def with_staff_member(self, user_id: UUID) -> builtins.list[Clinic]:
        return [c for c in self._ordered() if c.is_staff(user_id)]


class InMemoryServiceRepository:
    def __init__(self, state: ClinicState) -> None:
        self._services = state.services

    async def get(self, service_id: UUID) -> Service | None:
        return self._services.get(service_id)

    async def add(self, service: Service) -> None:
        if service.service_id in self._services:
            raise ConcurrentClinicUpdate("the service already exists")
        self._services[service.service_id] = service

    async def save(self, service: Service) -> None:
        stored = self._services.get(service.service_id)
        _check_next_version(None if stored is None else stored.version, service.version, "service")
        self._services[service.service_id] = service

    async def of_clinic(self, clinic_id: UUID, *, include_inactive: bool) -> list[Service]:
        found = [
            s
            for s in self._services.values()
            if s.clinic_id == clinic_id and (include_inactive or s.active)
        ]
        return sorted(found, key=lambda s: (s.created_at, s.service_id))


class InMemoryScheduleRepository:
    def __init__(self, state: ClinicState) -> None:
        self._schedules = state.schedules

    async def of_clinic(self, clinic_id: UUID) -> Schedule | None:
        return self._schedules.get(clinic_id)

    async def add(self, schedule: Schedule) -> None:
        if schedule.clinic_id in self._schedules:
            raise ConcurrentClinicUpdate("the clinic already has a schedule")
        self._schedules[schedule.clinic_id] = schedule

    async def save(self, schedule: Schedule) -> None:
        stored = self._schedules.get(schedule.clinic_id)
        if stored is not None and stored.schedule_id != schedule.schedule_id:
            stored = None
        _check_next_version(
            None if stored is None else stored.version, schedule.version, "schedule"
        )
        self._schedules[schedule.clinic_id] = schedule


class InMemoryClinicUnitOfWork(InMemoryUnitOfWork[ClinicState]):
    clinics: ClinicRepository
    services: ServiceRepository
    schedules: ScheduleRepository

    def _bind(self, working: ClinicState) -> None:
        self.clinics = InMemoryClinicRepository(working)
        self.services = InMemoryServiceRepository(working)
        self.schedules = InMemoryScheduleRepository(working)


def in_memory_clinic_store() -> InMemoryStore[ClinicState]:
    return InMemoryStore(state=ClinicState())
