"""In-memory adapters of the booking context: the pet and clinic caches, bookings, sagas, the
inbox and the unit of work.

The memory pet cache applies at once (the version check included); the SQL one buffers
until commit. Both end in the same state, which the contract tests check. The booking
repository checks overlaps like the database's constraint (an active booking of a vet may
not overlap another active booking of the same vet: `SlotTaken`); bookings and sagas carry
an optimistic version (`StaleBooking`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from adapters.memory.inbox import InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.booking.availability_memo import busy_fingerprint_of
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.domain.saga import BookingSaga
from petpro_core.booking.ports import (
    BookingRepository,
    BookingSagaRepository,
    BusyInterval,
    ClinicCacheRepository,
    PetCacheRepository,
    SlotTaken,
    StaleBooking,
)
from petpro_core.booking.views import PaymentRecord, payment_record_of
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.subscriptions import Inbox


@dataclass
class BookingState:
    pet_cache: dict[UUID, CachedPet] = field(default_factory=dict)
    clinics: dict[UUID, CachedClinic] = field(default_factory=dict)
    services: dict[UUID, CachedService] = field(default_factory=dict)
    schedules: dict[UUID, CachedSchedule] = field(default_factory=dict)  # by clinic id
    bookings: dict[UUID, Booking] = field(default_factory=dict)
    sagas: dict[UUID, BookingSaga] = field(default_factory=dict)
    # (consumer, event id) → when it was handled
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> BookingState:
        return BookingState(
            pet_cache=dict(self.pet_cache),
            clinics=dict(self.clinics),
            services=dict(self.services),
            schedules=dict(self.schedules),
            bookings=dict(self.bookings),
            sagas=dict(self.sagas),
            inbox=dict(self.inbox),
        )


def _busy_fingerprint(
    bookings: dict[UUID, Booking], vet_ids: Sequence[UUID], start: datetime, end: datetime
) -> str:
    vets = set(vet_ids)
    return busy_fingerprint_of(
        (b.booking_id, b.version)
        for b in bookings.values()
        if b.is_active and b.vet_id in vets and b.blocked_from < end and start < b.blocked_until
    )


class InMemoryPetCacheRepository:
    def __init__(self, state: BookingState) -> None:
        self._cache = state.pet_cache

    async def get(self, pet_id: UUID) -> CachedPet | None:
        return self._cache.get(pet_id)

    def apply(self, pet: CachedPet) -> None:
        if pet.supersedes(self._cache.get(pet.pet_id)):
            self._cache[pet.pet_id] = pet


class InMemoryClinicCacheRepository:
    def __init__(self, state: BookingState) -> None:
        self._state = state

    async def clinic(self, clinic_id: UUID) -> CachedClinic | None:
        return self._state.clinics.get(clinic_id)

    async def service(self, service_id: UUID) -> CachedService | None:
        return self._state.services.get(service_id)

    async def services_of(self, clinic_id: UUID) -> list[CachedService]:
        return sorted(
            (s for s in self._state.services.values() if s.clinic_id == clinic_id),
            key=lambda s: (s.name, s.service_id),
        )

    async def schedule(self, clinic_id: UUID) -> CachedSchedule | None:
        return self._state.schedules.get(clinic_id)

    async def offer(
        self, clinic_id: UUID, service_id: UUID
    ) -> tuple[CachedClinic | None, CachedService | None, CachedSchedule | None]:
        state = self._state
        return (
            state.clinics.get(clinic_id),
            state.services.get(service_id),
            state.schedules.get(clinic_id),
        )

    async def offer_with_busy_fingerprint(
        self, clinic_id: UUID, service_id: UUID, vet_id: UUID | None, start: datetime, end: datetime
    ) -> tuple[tuple[CachedClinic | None, CachedService | None, CachedSchedule | None], str | None]:
        offer = await self.offer(clinic_id, service_id)
        service = offer[1]
        if service is None:
            return offer, None
        vets = [vet_id] if vet_id is not None else list(service.vet_ids)
        return offer, _busy_fingerprint(self._state.bookings, vets, start, end)

    async def apply_clinic(self, clinic: CachedClinic) -> None:
        if clinic.supersedes(self._state.clinics.get(clinic.clinic_id)):
            self._state.clinics[clinic.clinic_id] = clinic

    async def apply_service(self, service: CachedService) -> None:
        if service.supersedes(self._state.services.get(service.service_id)):
            self._state.services[service.service_id] = service

    async def apply_schedule(self, schedule: CachedSchedule) -> None:
        if schedule.supersedes(self._state.schedules.get(schedule.clinic_id)):
            self._state.schedules[schedule.clinic_id] = schedule


def _overlaps(a: Booking, b: Booking) -> bool:
    return a.blocked_from < b.blocked_until and b.blocked_from < a.blocked_until


class InMemoryBookingRepository:
    def __init__(self, state: BookingState) -> None:
        self._bookings = state.bookings

    async def get(self, booking_id: UUID) -> Booking | None:
        return self._bookings.get(booking_id)

    async def add(self, booking: Booking) -> None:
        if booking.booking_id in self._bookings:
            raise SlotTaken(f"booking {booking.booking_id} exists")  # the id is taken
        self._check_overlap(booking)
        self._bookings[booking.booking_id] = booking

    async def save(self, booking: Booking) -> None:
        stored = self._bookings.get(booking.booking_id)
        if stored is None or stored.version != booking.version - 1:
            raise StaleBooking(f"booking {booking.booking_id} changed meanwhile")
        self._check_overlap(booking)
        self._bookings[booking.booking_id] = booking

    def _check_overlap(self, booking: Booking) -> None:
        if not booking.is_active:
            return
        for other in self._bookings.values():
            if (
                other.booking_id != booking.booking_id
                and other.is_active
                and other.vet_id == booking.vet_id
                and _overlaps(other, booking)
            ):
                raise SlotTaken(f"vet {booking.vet_id} is booked then")

    async def busy(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> list[BusyInterval]:
        vets = set(vet_ids)
        return [
            BusyInterval(
                vet_id=b.vet_id, blocked_from=b.blocked_from, blocked_until=b.blocked_until
            )
            for b in sorted(self._bookings.values(), key=lambda b: (b.blocked_from, b.vet_id))
            if b.is_active and b.vet_id in vets and b.blocked_from < end and start < b.blocked_until
        ]

    async def busy_fingerprint(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> str:
        return _busy_fingerprint(self._bookings, vet_ids, start, end)

    async def list_for_owner(
        self, owner_id: UUID, page: PageRequest, status: BookingStatus | None = None
    ) -> Page[Booking]:
        found = sorted(
            (
                b
                for b in self._bookings.values()
                if b.owner_id == owner_id and (status is None or b.status == status)
            ),
            key=lambda b: (b.starts_at, b.booking_id),
        )
        return _page(found, page)

    async def list_for_clinic(
        self, clinic_id: UUID, start: datetime, end: datetime, page: PageRequest
    ) -> Page[Booking]:
        found = sorted(
            (
                b
                for b in self._bookings.values()
                if b.clinic_id == clinic_id and start <= b.starts_at < end
            ),
            key=lambda b: (b.starts_at, b.vet_id, b.booking_id),
        )
        return _page(found, page)


def _page(items: list[Booking], page: PageRequest) -> Page[Booking]:
    return Page(
        items=items[page.offset : page.offset + page.limit],
        total=len(items),
        limit=page.limit,
        offset=page.offset,
    )


class InMemoryBookingSagaRepository:
    def __init__(self, state: BookingState) -> None:
        self._sagas = state.sagas
        self._bookings = state.bookings

    async def get(self, booking_id: UUID) -> BookingSaga | None:
        return self._sagas.get(booking_id)

    async def add(self, saga: BookingSaga) -> None:
        if saga.booking_id in self._sagas:
            raise StaleBooking(f"the saga of booking {saga.booking_id} exists")
        self._sagas[saga.booking_id] = saga

    async def save(self, saga: BookingSaga) -> None:
        stored = self._sagas.get(saga.booking_id)
        if stored is None or stored.version != saga.version - 1:
            raise StaleBooking(f"the saga of booking {saga.booking_id} changed meanwhile")
        self._sagas[saga.booking_id] = saga

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        due = sorted(
            (
                s
                for s in self._sagas.values()
                if not s.is_finished and (s.next_attempt_at <= now or s.expires_at <= now)
            ),
            key=lambda s: (min(s.next_attempt_at, s.expires_at), s.booking_id),
        )
        return [s.booking_id for s in due[:limit]]

    async def payments(
        self, charged_from: datetime | None, charged_to: datetime | None
    ) -> list[PaymentRecord]:
        records = []
        for saga in self._sagas.values():
            booking = self._bookings.get(saga.booking_id)
            record = None if booking is None else payment_record_of(saga, booking.clinic_id)
            if record is None:
                continue
            if charged_from is not None and record.charged_at < charged_from:
                continue
            if charged_to is not None and record.charged_at >= charged_to:
                continue
            records.append(record)
        return sorted(records, key=lambda r: (r.charged_at, r.payment_id))


class InMemoryBookingUnitOfWork(InMemoryUnitOfWork[BookingState]):
    inbox: Inbox
    pet_cache: PetCacheRepository
    clinics: ClinicCacheRepository
    bookings: BookingRepository
    sagas: BookingSagaRepository

    def _bind(self, working: BookingState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.pet_cache = InMemoryPetCacheRepository(working)
        self.clinics = InMemoryClinicCacheRepository(working)
        self.bookings = InMemoryBookingRepository(working)
        self.sagas = InMemoryBookingSagaRepository(working)


def in_memory_booking_store() -> InMemoryStore[BookingState]:
    return InMemoryStore(state=BookingState())
