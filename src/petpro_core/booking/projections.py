"""Booking's projections of other contexts' events: the pet cache, from auth's pet events;
the clinic cache (clinics, services, schedules), from the clinic context's events.

Handlers run inside the consumer's unit of work and never commit: the consumer commits a
whole batch together with its inbox rows. Reordering is harmless because the cache only
accepts a higher pet version (see `CachedPet.supersedes`).
"""

from __future__ import annotations

from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.ports import BookingUnitOfWork
from petpro_core.contracts.auth import PetDeleted, PetSnapshot
from petpro_core.contracts.clinic import ClinicSnapshot, ScheduleUpdated, ServiceSnapshot


def cached_pet_from(event: PetSnapshot) -> CachedPet:
    """The entry for a pet.created / pet.updated: only what booking needs of the pet."""
    return CachedPet(
        pet_id=event.pet_id,
        owner_id=event.owner_id,
        name=event.name,
        species=event.species,
        breed=event.breed,
        version=event.aggregate_version,
        updated_at=event.occurred_at,
    )


def tombstone_from(event: PetDeleted) -> CachedPet:
    return CachedPet.tombstone(
        pet_id=event.pet_id,
        owner_id=event.owner_id,
        version=event.aggregate_version,
        updated_at=event.occurred_at,
    )


async def project_pet_snapshot(event: PetSnapshot, uow: BookingUnitOfWork) -> None:
    uow.pet_cache.apply(cached_pet_from(event))


async def project_pet_deletion(event: PetDeleted, uow: BookingUnitOfWork) -> None:
    uow.pet_cache.apply(tombstone_from(event))


def cached_clinic_from(event: ClinicSnapshot) -> CachedClinic:
    return CachedClinic(
        clinic_id=event.clinic_id,
        name=event.name,
        time_zone=event.time_zone,
        policy=event.booking_policy,
        staff=event.staff,
        version=event.aggregate_version,
    )


def cached_service_from(event: ServiceSnapshot) -> CachedService:
    return CachedService(
        service_id=event.service_id,
        clinic_id=event.clinic_id,
        name=event.name,
        duration_minutes=event.duration_minutes,
        buffer_before_minutes=event.buffer_before_minutes,
        buffer_after_minutes=event.buffer_after_minutes,
        price=event.price,
        species=event.species,
        vet_ids=event.vet_ids,
        active=event.active,
        version=event.aggregate_version,
    )


def cached_schedule_from(event: ScheduleUpdated) -> CachedSchedule:
    """One schedule per clinic: its version is the schedule aggregate's."""
    return CachedSchedule(
        clinic_id=event.clinic_id,
        weekly_hours=event.weekly_hours,
        exceptions=event.exceptions,
        version=event.aggregate_version,
    )


async def project_clinic(event: ClinicSnapshot, uow: BookingUnitOfWork) -> None:
    await uow.clinics.apply_clinic(cached_clinic_from(event))


async def project_service(event: ServiceSnapshot, uow: BookingUnitOfWork) -> None:
    await uow.clinics.apply_service(cached_service_from(event))


async def project_schedule(event: ScheduleUpdated, uow: BookingUnitOfWork) -> None:
    await uow.clinics.apply_schedule(cached_schedule_from(event))
