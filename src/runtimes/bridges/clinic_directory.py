"""Booking's ClinicDirectory, answered by the clinic context's queries: booking falls back
to it when its event-fed cache has not caught up yet. The answers carry the aggregates'
versions, so a cache filled from them never goes backwards against later events."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.clinic.commands import GetClinic, GetSchedule, GetService
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.errors import ClinicNotFound, ServiceNotFound
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.shared.messagebus import MessageBus


def cached_clinic(clinic: Clinic) -> CachedClinic:
    return CachedClinic(
        clinic_id=clinic.clinic_id,
        name=clinic.name,
        time_zone=clinic.time_zone,
        policy=clinic.policy,
        staff=clinic.staff,
        version=clinic.version,
    )


def cached_service(service: Service) -> CachedService:
    return CachedService(
        service_id=service.service_id,
        clinic_id=service.clinic_id,
        name=service.name,
        duration_minutes=service.duration_minutes,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        price=service.price,
        species=service.species,
        vet_ids=service.vet_ids,
        active=service.active,
        version=service.version,
    )


def cached_schedule(schedule: Schedule) -> CachedSchedule:
    return CachedSchedule(
        clinic_id=schedule.clinic_id,
        weekly_hours=schedule.weekly_hours,
        exceptions=schedule.exceptions,
        version=schedule.version,
    )


class ClinicContextDirectory:
    """`bus_provider` returns the bus when first used (built lazily, like the other
    bridges)."""

    def __init__(self, bus_provider: Callable[[], MessageBus]) -> None:
        self._bus = bus_provider

    async def find_clinic(self, clinic_id: UUID) -> CachedClinic | None:
        try:
            clinic: Clinic = await self._bus().execute(GetClinic(clinic_id=clinic_id))
        except ClinicNotFound:
            return None
        return cached_clinic(clinic)

    async def find_service(self, service_id: UUID) -> CachedService | None:
        try:
            service: Service = await self._bus().execute(GetService(service_id=service_id))
        except ServiceNotFound:
            return None
        return cached_service(service)

    async def find_schedule(self, clinic_id: UUID) -> CachedSchedule | None:
        try:
            schedule: Schedule = await self._bus().execute(GetSchedule(clinic_id=clinic_id))
        except ClinicNotFound:
            return None
        return cached_schedule(schedule)
