"""The booking context on in-memory adapters, with hand-written fakes of the systems it calls
(payment gateway, inventory reservations, the pet and clinic directories) and a fault hook
that "kills" the saga orchestrator at a named point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from adapters.memory.booking import (
    BookingState,
    InMemoryBookingUnitOfWork,
    in_memory_booking_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from adapters.payments.fake_gateway import FakePaymentGateway
from petpro_core.booking.commands import CreateBooking
from petpro_core.booking.domain.bookings import Booking, ProductLine
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.domain.saga import BookingSaga, payment_description
from petpro_core.booking.handlers import BookingDependencies, BookingHandlers
from petpro_core.booking.ports import ReservationOutcome, ReservationsUnavailable
from petpro_core.booking.saga import SAGA_FAULT_POINTS, SagaSettings
from petpro_core.contracts.clinic import BookingPolicy, StaffMember, WorkingHours
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

# A Monday. Clinics open 09:00-17:00 local every day; bookings are made days ahead.
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
PRICE = Money.of("45.55", "USD")


class Crash(BaseException):
    """The orchestrator "dies" here: a BaseException, so no `except Exception` swallows it."""


class CrashingFaults:
    """Fault points: an armed point raises `Crash` the first time it is passed."""

    def __init__(self) -> None:
        self.armed: set[str] = set()
        self.passed: list[str] = []
        self.fired: list[str] = []
        self.hooks: dict[str, Any] = {}  # point -> async callable run there (once)

    def arm(self, point: str) -> None:
        assert point in SAGA_FAULT_POINTS, point
        self.armed.add(point)

    async def at(self, point: str) -> None:
        assert point in SAGA_FAULT_POINTS, point
        self.passed.append(point)
        hook = self.hooks.pop(point, None)
        if hook is not None:
            await hook()
        if point in self.armed:
            self.armed.discard(point)
            self.fired.append(point)
            raise Crash(point)


@dataclass
class Reservation:
    reservation_id: UUID
    location_id: UUID
    lines: tuple[ProductLine, ...]
    expires_at: datetime
    reference: str
    released: bool = False


class FakeProductReservations:
    """Inventory in miniature: stock per product, all-or-nothing reservations idempotent by
    id, releases that give the stock back once."""

    def __init__(self, stock: dict[UUID, int] | None = None) -> None:
        self.stock: dict[UUID, int] = dict(stock or {})
        self.reservations: dict[UUID, Reservation] = {}
        self.refusals: dict[UUID, str] = {}
        self.unavailable = False
        self.calls = {"reserve": 0, "release": 0}

    async def reserve(
        self,
        *,
        reservation_id: UUID,
        location_id: UUID,
        lines: tuple[ProductLine, ...],
        expires_at: datetime,
        reference: str,
    ) -> ReservationOutcome:
        self.calls["reserve"] += 1
        if self.unavailable:
            raise ReservationsUnavailable("inventory unreachable (simulated)")
        if reservation_id in self.reservations:
            return ReservationOutcome(reserved=True)
        if reservation_id in self.refusals:
            return ReservationOutcome(reserved=False, reason=self.refusals[reservation_id])
        for line in lines:
            if self.stock.get(line.product_id, 0) < line.quantity:
                reason = f"product {line.product_id} is short"
                self.refusals[reservation_id] = reason
                return ReservationOutcome(reserved=False, reason=reason)
        for line in lines:
            self.stock[line.product_id] -= line.quantity
        self.reservations[reservation_id] = Reservation(
            reservation_id=reservation_id,
            location_id=location_id,
            lines=lines,
            expires_at=expires_at,
            reference=reference,
        )
        return ReservationOutcome(reserved=True)

    async def release(self, reservation_id: UUID, reason: str) -> None:
        self.calls["release"] += 1
        if self.unavailable:
            raise ReservationsUnavailable("inventory unreachable (simulated)")
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.released:
            return
        reservation.released = True
        for line in reservation.lines:
            self.stock[line.product_id] += line.quantity

    def active(self) -> list[Reservation]:
        return [r for r in self.reservations.values() if not r.released]


class FakePetDirectory:
    def __init__(self) -> None:
        self.pets: dict[UUID, CachedPet] = {}
        self.calls = 0

    async def find_pet(self, pet_id: UUID) -> CachedPet | None:
        self.calls += 1
        return self.pets.get(pet_id)


class FakeClinicDirectory:
    def __init__(self) -> None:
        self.clinics: dict[UUID, CachedClinic] = {}
        self.services: dict[UUID, CachedService] = {}
        self.schedules: dict[UUID, CachedSchedule] = {}
        self.calls = 0

    async def find_clinic(self, clinic_id: UUID) -> CachedClinic | None:
        self.calls += 1
        return self.clinics.get(clinic_id)

    async def find_service(self, service_id: UUID) -> CachedService | None:
        self.calls += 1
        return self.services.get(service_id)

    async def find_schedule(self, clinic_id: UUID) -> CachedSchedule | None:
        self.calls += 1
        return self.schedules.get(clinic_id)


@dataclass
class ClinicSetup:
    clinic: CachedClinic
    service: CachedService
    schedule: CachedSchedule
    vets: tuple[UUID, ...]  # ascending
    receptionist: UUID

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.time_zone)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A clinic-local wall time, as an aware datetime."""
        return datetime.combine(day, time(hour, minute), self.zone)

    def staff(self, user_id: UUID | None = None) -> Actor:
        return Actor(user_id=user_id or self.receptionist, roles=frozenset({"clinic_staff"}))


def owner_actor(user_id: UUID | None = None) -> Actor:
    return Actor(user_id=user_id or new_id(), roles=frozenset({"pet_owner"}))


ADMIN = Actor(user_id=UUID(int=7), roles=frozenset({"admin"}))
TOMORROW = date(2026, 3, 3)


@dataclass
class BookingWorld:
    quick_retries: int = 2
    hold_timeout: timedelta = timedelta(minutes=15)
    lease: timedelta = timedelta(seconds=30)
    store: InMemoryStore[BookingState] = field(default_factory=in_memory_booking_store)
    clock: FixedClock = field(default_factory=lambda: FixedClock(T0))
    payments: FakePaymentGateway = field(default_factory=FakePaymentGateway)
    reservations: FakeProductReservations = field(default_factory=FakeProductReservations)
    pets: FakePetDirectory = field(default_factory=FakePetDirectory)
    clinics: FakeClinicDirectory = field(default_factory=FakeClinicDirectory)
    faults: CrashingFaults = field(default_factory=CrashingFaults)
    bus: MessageBus = field(default_factory=MessageBus)

    def __post_init__(self) -> None:
        BookingHandlers(self.dependencies()).register(self.bus)

    def dependencies(self, **overrides: Any) -> BookingDependencies:
        values: dict[str, Any] = {
            "uow": self.uow,
            "clock": self.clock,
            "payments": self.payments,
            "reservations": self.reservations,
            "pets": self.pets,
            "clinics": self.clinics,
            "hold_timeout": self.hold_timeout,
            "saga": SagaSettings(lease=self.lease, quick_retries=self.quick_retries),
            "faults": self.faults,
        }
        return BookingDependencies(**{**values, **overrides})

    def uow(self) -> InMemoryBookingUnitOfWork:
        return InMemoryBookingUnitOfWork(self.store)

    # -- seeding ---------------------------------------------------------------------------

    async def add_clinic(
        self,
        *,
        zone: str = "Asia/Tokyo",
        vets: int = 1,
        price: Money = PRICE,
        policy: BookingPolicy | None = None,
        duration: int = 30,
        buffer_after: int = 10,
        species: tuple[str, ...] = (),
        cached: bool = True,
    ) -> ClinicSetup:
        """A clinic with `vets` vets (09:00-17:00 local, every day), a receptionist and a
        service; in the cache, or only in the clinic directory (`cached=False`)."""
        vet_ids = tuple(sorted(new_id() for _ in range(vets)))
        receptionist = new_id()
        clinic = CachedClinic(
            clinic_id=new_id(),
            name="Shibuya Animal Clinic",
            time_zone=zone,
            policy=policy or BookingPolicy(),
            staff=(
                *(StaffMember(user_id=v, role="vet") for v in vet_ids),
                StaffMember(user_id=receptionist, role="clinic_staff"),
            ),
            version=1,
        )
        service = CachedService(
            service_id=new_id(),
            clinic_id=clinic.clinic_id,
            name="Check-up",
            duration_minutes=duration,
            buffer_before_minutes=0,
            buffer_after_minutes=buffer_after,
            price=price,
            species=species,
            vet_ids=vet_ids,
            active=True,
            version=1,
        )
        schedule = CachedSchedule(
            clinic_id=clinic.clinic_id,
            weekly_hours=tuple(
                WorkingHours(vet_id=v, weekday=d, starts=time(9), ends=time(17))
                for v in vet_ids
                for d in range(1, 8)
            ),
            exceptions=(),
            version=1,
        )
        if cached:
            await self.cache(clinic, service, schedule)
        else:
            self.clinics.clinics[clinic.clinic_id] = clinic
            self.clinics.services[service.service_id] = service
            self.clinics.schedules[clinic.clinic_id] = schedule
        return ClinicSetup(
            clinic=clinic,
            service=service,
            schedule=schedule,
            vets=vet_ids,
            receptionist=receptionist,
        )

    async def cache(self, *entries: CachedClinic | CachedService | CachedSchedule) -> None:
        async with self.uow() as uow:
            for entry in entries:
                if isinstance(entry, CachedClinic):
                    await uow.clinics.apply_clinic(entry)
                elif isinstance(entry, CachedService):
                    await uow.clinics.apply_service(entry)
                else:
                    await uow.clinics.apply_schedule(entry)
            await uow.commit()

    async def add_pet(
        self, owner: Actor, *, species: str = "cat", cached: bool = True
    ) -> CachedPet:
        pet = CachedPet(
            pet_id=new_id(),
            owner_id=owner.user_id,
            name="Mochi",
            species=species,
            breed=None,
            version=1,
            updated_at=T0,
        )
        if cached:
            async with self.uow() as uow:
                uow.pet_cache.apply(pet)
                await uow.commit()
        else:
            self.pets.pets[pet.pet_id] = pet
        return pet

    async def owner_with_pet(self) -> tuple[Actor, CachedPet]:
        owner = owner_actor()
        return owner, await self.add_pet(owner)

    def stock(self, quantity: int) -> tuple[ProductLine, ...]:
        """One product line of 2, with `quantity` in stock."""
        product = new_id()
        self.reservations.stock[product] = quantity
        return (ProductLine(product_id=product, quantity=2),)

    # -- acting ----------------------------------------------------------------------------

    async def book(
        self,
        owner: Actor,
        pet: CachedPet,
        setup: ClinicSetup,
        starts_at: datetime | None = None,
        *,
        token: str = "tok_visa",
        products: tuple[ProductLine, ...] = (),
        vet_id: UUID | None = None,
        booking_id: UUID | None = None,
    ) -> Booking:
        booking: Booking = await self.bus.execute(
            CreateBooking(
                actor=owner,
                pet_id=pet.pet_id,
                clinic_id=setup.clinic.clinic_id,
                service_id=setup.service.service_id,
                starts_at=starts_at or setup.at(TOMORROW, 10),
                payment_token=token,
                vet_id=vet_id,
                products=products,
                booking_id=booking_id,
            )
        )
        return booking

    async def booking(self, booking_id: UUID) -> Booking:
        async with self.uow() as uow:
            booking = await uow.bookings.get(booking_id)
        assert booking is not None
        return booking

    async def saga(self, booking_id: UUID) -> BookingSaga:
        async with self.uow() as uow:
            saga = await uow.sagas.get(booking_id)
        assert saga is not None
        return saga

    def events(self, *names: str, booking_id: UUID | None = None) -> list[Any]:
        found: Iterable[Event] = self.store.outbox
        if names:
            found = (e for e in found if e.NAME in names)
        if booking_id is not None:
            found = (e for e in found if getattr(e, "booking_id", None) == booking_id)
        return list(found)

    # -- the gateway's ledger, per booking -------------------------------------------------

    def charged(self, booking_id: UUID) -> list[Money]:
        return [c.amount for c in self.payments.charges_for(payment_description(booking_id))]

    def refunded(self, booking_id: UUID) -> list[Money]:
        refunds = []
        for charge in self.payments.charges_for(payment_description(booking_id)):
            refunds += [r.amount for r in self.payments.refunds_of(charge.reference)]
        return refunds
