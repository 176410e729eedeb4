"""What the booking context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.booking.domain.bookings import Booking, BookingStatus, ProductLine
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.domain.saga import BookingSaga
from petpro_core.booking.views import PaymentRecord
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.payments import (
    ChargeOutcome,
    PaymentGateway,
    PaymentGatewayUnavailable,
    RefundOutcome,
)
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "BookingRepository",
    "BookingSagaRepository",
    "BookingUnitOfWork",
    "BookingUnitOfWorkFactory",
    "BusyInterval",
    "ChargeOutcome",
    "ClinicCacheRepository",
    "ClinicDirectory",
    "PaymentGateway",
    "PaymentGatewayUnavailable",
    "PetCacheRepository",
    "PetDirectory",
    "ProductReservations",
    "RefundOutcome",
    "ReservationOutcome",
    "ReservationsUnavailable",
]


class PetCacheRepository(Protocol):
    async def get(self, pet_id: UUID) -> CachedPet | None:
        """The entry as it will be after commit (tombstones included): what this unit of
        work applied counts, unless the store already holds a newer version."""
        ...

    def apply(self, pet: CachedPet) -> None:
        """Upsert the entry if it supersedes the stored one (a strictly higher version),
        else ignore it: the projection never goes backwards. It may be buffered until the
        unit of work commits; several versions of one pet in one unit of work end as the
        highest of them."""
        ...


class ClinicCacheRepository(Protocol):
    """Booking's copies of clinics, services and schedules; the same never-backwards rule
    as the pet cache (`apply_*` keeps only a strictly higher version)."""

    async def clinic(self, clinic_id: UUID) -> CachedClinic | None: ...

    async def service(self, service_id: UUID) -> CachedService | None: ...

    async def services_of(self, clinic_id: UUID) -> list[CachedService]: ...

    async def schedule(self, clinic_id: UUID) -> CachedSchedule | None: ...

    async def offer(
        self, clinic_id: UUID, service_id: UUID
    ) -> tuple[CachedClinic | None, CachedService | None, CachedSchedule | None]:
        """The clinic, the service and the clinic's schedule at once (each None if unknown):
        what every search and booking reads, so stores may keep them parsed by version."""
        ...

    async def offer_with_busy_fingerprint(
        self, clinic_id: UUID, service_id: UUID, vet_id: UUID | None, start: datetime, end: datetime
    ) -> tuple[tuple[CachedClinic | None, CachedService | None, CachedSchedule | None], str | None]:
        """`offer`, and from the same read `BookingRepository.busy_fingerprint` over [start,
        end) of `vet_id`, or of every vet of the service as stored; None when the service is
        unknown. What an availability search reads first, in one round trip where the
        store can."""
        ...

    async def apply_clinic(self, clinic: CachedClinic) -> None: ...

    async def apply_service(self, service: CachedService) -> None: ...

    async def apply_schedule(self, schedule: CachedSchedule) -> None: ...


@dataclass(frozen=True, kw_only=True)
class BusyInterval:
    vet_id: UUID
    blocked_from: datetime
    blocked_until: datetime


class SlotTaken(Exception):
    """Raised by a BookingRepository when an active booking of the same vet overlaps (the
    database's constraint answered). Handlers turn it into the domain's Conflict."""


class StaleBooking(Exception):
    """Raised by `save` when the stored version is not `booking.version - 1` (another
    writer changed it first)."""


class BookingRepository(Protocol):
    async def get(self, booking_id: UUID) -> Booking | None: ...

    async def add(self, booking: Booking) -> None:
        """Insert a new booking. Raises SlotTaken if it is active and an active booking of
        the same vet overlaps its blocked interval; the check holds under concurrency."""
        ...

    async def save(self, booking: Booking) -> None:
        """Store a changed booking whose `version` is one more than the stored one (else
        StaleBooking). Raises SlotTaken if the change (a reschedule) overlaps."""
        ...

    async def busy(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> list[BusyInterval]:
        """Blocked intervals of the vets' active bookings overlapping [start, end)."""
        ...

    async def busy_fingerprint(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> str:
        """A short text that identifies what `busy` would answer now: it changes whenever an
        active booking of those vets overlapping [start, end) is added, changed (each save
        bumps its version) or leaves, and stays while none does. Cheaper than `busy`."""
        ...

    async def list_for_owner(
        self, owner_id: UUID, page: PageRequest, status: BookingStatus | None = None
    ) -> Page[Booking]:
        """An owner's bookings, soonest start first."""
        ...

    async def list_for_clinic(
        self, clinic_id: UUID, start: datetime, end: datetime, page: PageRequest
    ) -> Page[Booking]:
        """A clinic's bookings (any status) starting in [start, end), by start then vet."""
        ...


class BookingSagaRepository(Protocol):
    async def get(self, booking_id: UUID) -> BookingSaga | None: ...

    async def add(self, saga: BookingSaga) -> None: ...

    async def save(self, saga: BookingSaga) -> None:
        """Store a changed saga whose `version` is one more than the stored one (else
        StaleBooking): two orchestrators never both advance one step."""
        ...

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        """Unfinished sagas whose `next_attempt_at` or `expires_at` has come, oldest first."""
        ...

    async def payments(
        self, charged_from: datetime | None, charged_to: datetime | None
    ) -> list[PaymentRecord]:
        """Sagas whose charge went through (a gateway reference), charged in [charged_from,
        charged_to) (None: unbounded; sagas charged before `charged_at` was kept count by
        their `updated_at`), with their booking's clinic; by charge time, then payment id."""
        ...


class BookingUnitOfWork(InboxUnitOfWork, Protocol):
    pet_cache: PetCacheRepository
    clinics: ClinicCacheRepository
    bookings: BookingRepository
    sagas: BookingSagaRepository


BookingUnitOfWorkFactory = Callable[[], BookingUnitOfWork]


# -- other systems ---------------------------------------------------------------------------


class PetDirectory(Protocol):
    """The synchronous fallback to the pets' owner (auth) when the cache has not caught up."""

    async def find_pet(self, pet_id: UUID) -> CachedPet | None: ...


class ClinicDirectory(Protocol):
    """The synchronous fallback to the clinic context when the cache has not caught up."""

    async def find_clinic(self, clinic_id: UUID) -> CachedClinic | None: ...

    async def find_service(self, service_id: UUID) -> CachedService | None: ...

    async def find_schedule(self, clinic_id: UUID) -> CachedSchedule | None: ...


@dataclass(frozen=True, kw_only=True)
class ReservationOutcome:
    reserved: bool
    reason: str | None = None  # why not, e.g. which product is short


class ReservationsUnavailable(Exception):
    """Inventory could not be reached; retry (reserving and releasing are idempotent)."""


class ProductReservations(Protocol):
    async def reserve(
        self,
        *,
        reservation_id: UUID,
        location_id: UUID,
        lines: tuple[ProductLine, ...],
        expires_at: datetime,
        reference: str,
    ) -> ReservationOutcome:
        """Reserve every line or none; a repeat with the same id answers the first outcome."""
        ...

    async def release(self, reservation_id: UUID, reason: str) -> None:
        """Release a reservation; releasing an unknown or released one does nothing."""
        ...
