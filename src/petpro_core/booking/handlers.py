"""Application services of the booking context: one handler per command.

Permission checks live here, so every runtime enforces the same rules. Someone who may not
see a booking gets `BookingNotFound` (never a 403 that would confirm the id exists).

Construction: `BookingDependencies(uow=…)` is enough for the caches and the read side; taking
and changing bookings needs `payments` (and `reservations` for bookings with products), and
answers `ServiceUnavailable` without them. The runtime fills `clock`, the directories (the
synchronous fallbacks to auth and clinic when the caches have not caught up), the hold
timeout and the saga settings from its settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from petpro_core.booking.availability_memo import (
    AvailabilityMemo,
    AvailableSlots,
    ComputedSlots,
)
from petpro_core.booking.commands import (
    AdvanceDueSagas,
    CancelBooking,
    CreateBooking,
    FindAvailability,
    GetBooking,
    GetCachedPet,
    GetDaySheet,
    ListClinicBookings,
    ListOwnerBookings,
    ListPaymentRecords,
    RescheduleBooking,
)
from petpro_core.booking.domain.availability import (
    Slot,
    blocked_interval,
    bookable_range,
    is_free_slot,
    slots_between,
)
from petpro_core.booking.domain.bookings import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    refund_for,
)
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.errors import (
    BookingIdTaken,
    BookingNotCancellable,
    BookingNotFound,
    BookingNotReschedulable,
    CachedPetNotFound,
    ClinicNotFound,
    ConcurrentBookingUpdate,
    OutsideAvailability,
    PetNotBookable,
    ServiceNotBookable,
    ServiceNotFound,
    SlotUnavailable,
    VetNotBookable,
)
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.domain.saga import BookingSaga
from petpro_core.booking.ports import (
    BookingUnitOfWorkFactory,
    BusyInterval,
    ClinicDirectory,
    PaymentGateway,
    PetDirectory,
    ProductReservations,
    SlotTaken,
    StaleBooking,
)
from petpro_core.booking.saga import (
    NO_SAGA_FAULTS,
    BookingSagaOrchestrator,
    SagaFaults,
    SagaSettings,
)
from petpro_core.booking.views import DaySheet, PaymentRecord, VetDay
from petpro_core.contracts.clinic import BookingPolicy
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.errors import InvalidInput, PermissionDenied, ServiceUnavailable
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import MAX_LIMIT, Page, PageRequest

PET_OWNER_ROLE = "pet_owner"
MAX_WINDOW = timedelta(days=31)
# Busy intervals are fetched this far around a start: a blocked interval lies within one
# working day, so a day on each side covers every booking that could overlap.
_BUSY_MARGIN = timedelta(days=1)
_SAVE_ATTEMPTS = 3  # a cancellation racing a saga step tries again this often


class NoPetDirectory:
    """No fallback: only pets the cache knows can be booked."""

    async def find_pet(self, pet_id: UUID) -> CachedPet | None:
        return None


class NoClinicDirectory:
    """No fallback: only clinics the cache knows can be booked."""

    async def find_clinic(self, clinic_id: UUID) -> CachedClinic | None:
        return None

    async def find_service(self, service_id: UUID) -> CachedService | None:
        return None

    async def find_schedule(self, clinic_id: UUID) -> CachedSchedule | None:
        return None


@dataclass(frozen=True, kw_only=True)
class BookingDependencies:
    """What the booking handlers need. Only `uow` is required (see the module's note)."""

    uow: BookingUnitOfWorkFactory
    clock: Clock = field(default_factory=SystemClock)
    payments: PaymentGateway | None = None
    reservations: ProductReservations | None = None
    pets: PetDirectory = field(default_factory=NoPetDirectory)
    clinics: ClinicDirectory = field(default_factory=NoClinicDirectory)
    # How long a booking holds its slot while the saga works; not confirmed by then, it
    # fails ("expired") and is compensated.
    hold_timeout: timedelta = timedelta(minutes=15)
    saga: SagaSettings = field(default_factory=SagaSettings)
    faults: SagaFaults = NO_SAGA_FAULTS  # tests: kill the saga between steps
    ids: Callable[[], UUID] = new_id  # booking ids when the caller gives none
    availability_memo: AvailabilityMemo = field(default_factory=AvailabilityMemo)


# A saga is created at version 1, leased to the request that held the booking.
_HELD_SAGA_VERSION = 1


class _VetTaken(Exception):
    """The store refused the hold: another booking took this vet's time meanwhile."""

    def __init__(self, vet_id: UUID) -> None:
        super().__init__(f"vet {vet_id} was just booked")
        self.vet_id = vet_id


@dataclass(frozen=True)
class _Offer:
    """What a clinic offers for one service, as booking knows it."""

    clinic: CachedClinic
    service: CachedService
    schedule: CachedSchedule | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.time_zone)


class BookingHandlers:
    def __init__(self, deps: BookingDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            GetCachedPet: self.get_cached_pet,
            CreateBooking: self.create_booking,
            GetBooking: self.get_booking,
            ListOwnerBookings: self.list_owner_bookings,
            ListClinicBookings: self.list_clinic_bookings,
            GetDaySheet: self.get_day_sheet,
            CancelBooking: self.cancel_booking,
            RescheduleBooking: self.reschedule_booking,
            FindAvailability: self.find_availability,
            AdvanceDueSagas: self.advance_due_sagas,
            ListPaymentRecords: self.list_payment_records,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    # -- payment records (finance reconciles its ledger with them) ---------------------------

    async def list_payment_records(self, cmd: ListPaymentRecords) -> list[PaymentRecord]:
        """Raises PermissionDenied unless the actor is an administrator."""
        if not cmd.actor.is_admin:
            raise PermissionDenied("only an administrator may list payment records")
        async with self._deps.uow() as uow:
            return await uow.sagas.payments(cmd.charged_from, cmd.charged_to)

    # -- the pet cache ---------------------------------------------------------------------

    async def get_cached_pet(self, cmd: GetCachedPet) -> CachedPet:
        async with self._deps.uow() as uow:
            pet = await uow.pet_cache.get(cmd.pet_id)
        if pet is None or (pet.deleted and not cmd.include_deleted):
            raise CachedPetNotFound("booking knows no such pet")
        return pet

    # -- taking a booking ------------------------------------------------------------------

    async def create_booking(self, cmd: CreateBooking) -> Booking:
        """Hold the slot, then run the saga: answers the booking confirmed, failed (see
        `domain.errors.booking_failure` for the error it stands for), or still held when a
        transient failure left the saga to the recovery worker.

        Raises PermissionDenied (not a pet owner), CachedPetNotFound (not the actor's pet),
        PetNotBookable (deleted), ClinicNotFound, ServiceNotFound, ServiceNotBookable
        (withdrawn, another clinic's, species), VetNotBookable, OutsideAvailability (not a
        slot of the schedule), SlotUnavailable (taken), BookingIdTaken (the id is another
        owner's), ServiceUnavailable (no payment gateway / reservations configured)."""
        actor = cmd.actor
        if not actor.has_role(PET_OWNER_ROLE):
            raise PermissionDenied("only pet owners book appointments")
        orchestrator = self._orchestrator(needs_reservations=bool(cmd.products))
        booking_id = cmd.booking_id or self._deps.ids()

        # What the request needs, read in one transaction: a booking with its id (a retry),
        # the pet, and the clinic's offer.
        async with self._deps.uow() as uow:
            existing = await uow.bookings.get(booking_id)
            pet = await uow.pet_cache.get(cmd.pet_id)
            cached = await uow.clinics.offer(cmd.clinic_id, cmd.service_id)
        if existing is not None:
            self._require_owner(existing, actor)
            return await self._advanced(orchestrator, existing)

        # The directories (other contexts) are asked outside any transaction of ours.
        pet = pet if pet is not None else await self._deps.pets.find_pet(cmd.pet_id)
        if pet is None or pet.owner_id != actor.user_id:
            raise CachedPetNotFound("no such pet")
        if pet.deleted:
            raise PetNotBookable("the pet was deleted")
        offer = await self._offer_from(cached, cmd.clinic_id, cmd.service_id)
        service = offer.service
        if service.species and pet.species.casefold() not in {
            species.casefold() for species in service.species
        }:
            raise ServiceNotBookable(f"the service does not treat {pet.species}")
        if cmd.vet_id is not None and cmd.vet_id not in service.vet_ids:
            raise VetNotBookable("the vet does not perform this service")
        starts_at = cmd.starts_at.astimezone(UTC)
        blocked_from, blocked_until = blocked_interval(service, starts_at)
        candidates = [cmd.vet_id] if cmd.vet_id is not None else sorted(service.vet_ids)

        while True:
            try:
                booking, saga = await self._hold(
                    cmd,
                    booking_id,
                    pet,
                    offer,
                    candidates,
                    starts_at,
                    (blocked_from, blocked_until),
                )
                break
            except _VetTaken as taken:
                # Taken meanwhile, or the same request (same id) committed first.
                existing = await self._existing(booking_id, actor)
                if existing is not None:
                    return await self._advanced(orchestrator, existing)
                # Any vet would do: try the others before giving up.
                candidates = [vet for vet in candidates if vet != taken.vet_id]
                if not candidates:
                    raise SlotUnavailable("the slot was just taken") from None
        if saga is None:  # the same request committed first
            self._require_owner(booking, actor)
            return await self._advanced(orchestrator, booking)

        await self._deps.faults.at("after_hold")
        return await self._advanced(
            orchestrator, booking, owned=_HELD_SAGA_VERSION, held=(saga, booking)
        )

    async def _hold(
        self,
        cmd: CreateBooking,
        booking_id: UUID,
        pet: CachedPet,
        offer: _Offer,
        candidates: Sequence[UUID],
        starts_at: datetime,
        blocked: tuple[datetime, datetime],
    ) -> tuple[Booking, BookingSaga | None]:
        """Add the held booking and its saga, and record booking.created, in one commit.
        Answers the new booking and its saga, or the booking and None if the id exists
        already. Raises _VetTaken when the store refused the chosen vet's time (taken
        meanwhile)."""
        service = offer.service
        blocked_from, blocked_until = blocked
        async with self._deps.uow() as uow:
            existing = await uow.bookings.get(booking_id)
            if existing is not None:
                return existing, None
            now = self._deps.clock.now()
            busy = await uow.bookings.busy(
                candidates, blocked_from - _BUSY_MARGIN, blocked_until + _BUSY_MARGIN
            )
            vet_id = self._free_vet(offer, candidates, starts_at, busy, now)
            booking, created = Booking.hold(
                booking_id=booking_id,
                owner_id=cmd.actor.user_id,
                pet_id=pet.pet_id,
                clinic_id=offer.clinic.clinic_id,
                service_id=service.service_id,
                vet_id=vet_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=service.duration_minutes),
                blocked_from=blocked_from,
                blocked_until=blocked_until,
                price=service.price,
                products=cmd.products,
                now=now,
            )
            saga = BookingSaga.start(
                booking_id=booking_id,
                payment_token=cmd.payment_token.strip(),
                amount=service.price,
                now=now,
                expires_at=now + self._deps.hold_timeout,
                leased_until=now + self._deps.saga.lease,
            )
            try:
                await uow.bookings.add(booking)
            except SlotTaken:
                raise _VetTaken(vet_id) from None
            await uow.sagas.add(saga)
            uow.record(created)
            await uow.commit()
        return booking, saga

    def _free_vet(
        self,
        offer: _Offer,
        candidates: Sequence[UUID],
        starts_at: datetime,
        busy: Sequence[BusyInterval],
        now: datetime,
    ) -> UUID:
        """The first candidate free at `starts_at`; else why none is."""
        for vet_id in candidates:
            if self._is_free(offer, vet_id, starts_at, busy, now):
                return vet_id
        if any(self._is_free(offer, vet_id, starts_at, (), now) for vet_id in candidates):
            raise SlotUnavailable("another booking holds this time")
        raise OutsideAvailability(
            "not a bookable start: outside the vets' hours, off the slot grid, too soon or "
            "too far ahead"
        )

    @staticmethod
    def _is_free(
        offer: _Offer,
        vet_id: UUID,
        starts_at: datetime,
        busy: Sequence[BusyInterval],
        now: datetime,
    ) -> bool:
        schedule = offer.schedule
        if schedule is None:
            return False
        return is_free_slot(
            zone=offer.zone,
            policy=offer.clinic.policy,
            service=offer.service,
            weekly_hours=schedule.weekly_hours,
            exceptions=schedule.exceptions,
            busy=busy,
            now=now,
            vet_id=vet_id,
            starts_at=starts_at,
        )

    async def _existing(self, booking_id: UUID, actor: Actor) -> Booking | None:
        async with self._deps.uow() as uow:
            booking = await uow.bookings.get(booking_id)
        if booking is not None:
            self._require_owner(booking, actor)
        return booking

    @staticmethod
    def _require_owner(booking: Booking, actor: Actor) -> None:
        if booking.owner_id != actor.user_id:
            raise BookingIdTaken("this booking id is already used")

    async def _advanced(
        self,
        orchestrator: BookingSagaOrchestrator,
        booking: Booking,
        owned: int | None = None,
        held: tuple[BookingSaga, Booking] | None = None,
    ) -> Booking:
        """Advance the booking's saga (`owned`: the saga version whose lease we hold; `held`:
        that saga and booking as just written), then answer the booking: as this run
        committed it, else as it stands."""
        _, latest = await orchestrator.run(booking.booking_id, owned, held)
        if latest is not None:
            return latest
        async with self._deps.uow() as uow:
            current = await uow.bookings.get(booking.booking_id)
        return current or booking

    # -- reading bookings ------------------------------------------------------------------

    async def get_booking(self, cmd: GetBooking) -> Booking:
        """The owner, the clinic's staff and admins; anyone else BookingNotFound."""
        booking = await self._visible_booking(cmd.actor, cmd.booking_id)
        return booking

    async def list_owner_bookings(self, cmd: ListOwnerBookings) -> Page[Booking]:
        async with self._deps.uow() as uow:
            return await uow.bookings.list_for_owner(cmd.actor.user_id, cmd.page, cmd.status)

    async def list_clinic_bookings(self, cmd: ListClinicBookings) -> Page[Booking]:
        """Staff of the clinic and admins (else PermissionDenied); ClinicNotFound."""
        _check_window(cmd.window_start, cmd.window_end)
        await self._require_staff(cmd.actor, cmd.clinic_id)
        async with self._deps.uow() as uow:
            return await uow.bookings.list_for_clinic(
                cmd.clinic_id, cmd.window_start, cmd.window_end, cmd.page
            )

    async def get_day_sheet(self, cmd: GetDaySheet) -> DaySheet:
        """Staff of the clinic and admins (else PermissionDenied); ClinicNotFound."""
        clinic = await self._require_staff(cmd.actor, cmd.clinic_id)
        zone = ZoneInfo(clinic.time_zone)
        start = datetime.combine(cmd.day, time(), zone).astimezone(UTC)
        end = datetime.combine(cmd.day + timedelta(days=1), time(), zone).astimezone(UTC)
        bookings: list[Booking] = []
        async with self._deps.uow() as uow:
            offset = 0
            while True:
                page = await uow.bookings.list_for_clinic(
                    cmd.clinic_id, start, end, PageRequest(limit=MAX_LIMIT, offset=offset)
                )
                bookings.extend(page.items)
                offset += len(page.items)
                if not page.items or offset >= page.total:
                    break
        wanted = [
            b
            for b in bookings
            if (cmd.include_cancelled or b.status in ACTIVE_STATUSES)
            and (cmd.vet_id is None or b.vet_id == cmd.vet_id)
        ]
        vets = {b.vet_id for b in wanted}
        vets |= {v for v in clinic.vet_ids if cmd.vet_id is None or v == cmd.vet_id}
        return DaySheet(
            clinic_id=clinic.clinic_id,
            clinic_name=clinic.name,
            time_zone=clinic.time_zone,
            day=cmd.day,
            vets=tuple(
                VetDay(
                    vet_id=vet,
                    bookings=tuple(
                        sorted(
                            (b for b in wanted if b.vet_id == vet),
                            key=lambda b: (b.starts_at, b.booking_id),
                        )
                    ),
                )
                for vet in sorted(vets)
            ),
        )

    # -- changing bookings -----------------------------------------------------------------

    async def cancel_booking(self, cmd: CancelBooking) -> Booking:
        """The owner ("owner"), the clinic's staff or an admin ("clinic") cancel a held or
        confirmed booking: its slot is free at once; the refund (the clinic's policy for an
        owner's cancellation, everything for the clinic's or for a booking never confirmed)
        and the release of reserved products are paid by the saga right away. Answers the
        cancelled booking; BookingNotFound, BookingNotCancellable (already failed or
        cancelled), ConcurrentBookingUpdate."""
        orchestrator = self._orchestrator(needs_reservations=False)
        booking = await self._visible_booking(cmd.actor, cmd.booking_id)
        by_owner = booking.owner_id == cmd.actor.user_id
        party = "owner" if by_owner else "clinic"
        reason = cmd.reason.strip() or f"cancelled by the {party}"
        clinic = await self._clinic(booking.clinic_id)
        policy = clinic.policy if clinic is not None else BookingPolicy()
        for attempt in range(_SAVE_ATTEMPTS):
            now = self._deps.clock.now()
            async with self._deps.uow() as uow:
                current = await uow.bookings.get(cmd.booking_id)
                saga = await uow.sagas.get(cmd.booking_id)
                if current is None:
                    raise BookingNotFound("no such booking")
                if not current.is_active:
                    raise BookingNotCancellable(f"the booking is {current.status}")
                charged = saga is not None and saga.gateway_reference is not None
                if current.status == BookingStatus.CONFIRMED and charged:
                    refund = refund_for(
                        price=current.price,
                        starts_at=current.starts_at,
                        now=now,
                        policy=policy,
                        by_clinic=not by_owner,
                    )
                elif charged:  # held: never confirmed, so everything goes back
                    refund = current.price
                else:
                    refund = Money(
                        Decimal(0).quantize(current.price.amount), current.price.currency
                    )
                cancelled, event = current.cancel(
                    by=party,
                    by_user_id=cmd.actor.user_id,
                    reason=reason,
                    refund=refund,
                    now=now,
                )
                try:
                    await uow.bookings.save(cancelled)
                    if saga is not None:
                        owed = refund if current.status == BookingStatus.CONFIRMED else saga.amount
                        await uow.sagas.save(saga.cancelled(now, refund=owed))
                except StaleBooking:
                    if attempt + 1 == _SAVE_ATTEMPTS:
                        raise ConcurrentBookingUpdate("the booking changed meanwhile") from None
                    continue
                uow.record(event)
                await uow.commit()
                break
        return await self._advanced(orchestrator, cancelled)

    async def reschedule_booking(self, cmd: RescheduleBooking) -> Booking:
        """The owner, the clinic's staff or an admin move a confirmed booking that has not
        started to another free slot, all at once or not at all. Answers the moved booking;
        BookingNotFound, BookingNotReschedulable, VetNotBookable, OutsideAvailability,
        SlotUnavailable (the booking stays as it was), ConcurrentBookingUpdate."""
        booking = await self._visible_booking(cmd.actor, cmd.booking_id)
        offer = await self._offer(booking.clinic_id, booking.service_id, for_reschedule=True)
        service = offer.service
        if cmd.vet_id is not None and cmd.vet_id not in service.vet_ids:
            raise VetNotBookable("the vet does not perform this service")
        starts_at = cmd.starts_at.astimezone(UTC)
        blocked_from, blocked_until = blocked_interval(service, starts_at)
        async with self._deps.uow() as uow:
            current = await uow.bookings.get(cmd.booking_id)
            now = self._deps.clock.now()
            if current is None:
                raise BookingNotFound("no such booking")
            if current.status != BookingStatus.CONFIRMED or current.starts_at <= now:
                raise BookingNotReschedulable(
                    "only confirmed bookings that have not started can be moved"
                )
            if cmd.vet_id is not None:
                candidates = [cmd.vet_id]
            else:
                others = sorted(v for v in service.vet_ids if v != current.vet_id)
                candidates = (
                    [current.vet_id, *others] if current.vet_id in service.vet_ids else others
                )
            busy = _without(
                await uow.bookings.busy(
                    candidates, blocked_from - _BUSY_MARGIN, blocked_until + _BUSY_MARGIN
                ),
                current,
            )
            vet_id = self._free_vet(offer, candidates, starts_at, busy, now)
            moved, event = current.reschedule(
                vet_id=vet_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=service.duration_minutes),
                blocked_from=blocked_from,
                blocked_until=blocked_until,
                now=now,
            )
            try:
                await uow.bookings.save(moved)
            except SlotTaken:
                raise SlotUnavailable("another booking holds this time") from None
            except StaleBooking:
                raise ConcurrentBookingUpdate("the booking changed meanwhile") from None
            uow.record(event)
            await uow.commit()
        return moved

    # -- availability ----------------------------------------------------------------------

    async def find_availability(self, cmd: FindAvailability) -> AvailableSlots:
        """The free slots (clinic-local times; see `domain.availability`). ClinicNotFound,
        ServiceNotFound, InvalidInput (window); a withdrawn service has none. Answers are
        kept (`availability_memo`) while their inputs are unchanged."""
        _check_window(cmd.window_start, cmd.window_end)
        vet_filter = None if cmd.vet_id is None else (cmd.vet_id,)
        busy_start, busy_end = cmd.window_start - _BUSY_MARGIN, cmd.window_end + _BUSY_MARGIN

        def vets_of(service: CachedService) -> list[UUID]:
            return list(vet_filter) if vet_filter else sorted(service.vet_ids)

        async with self._deps.uow() as uow:  # the usual case: this one read is enough
            cached, fingerprint = await uow.clinics.offer_with_busy_fingerprint(
                cmd.clinic_id, cmd.service_id, cmd.vet_id, busy_start, busy_end
            )
        offer = await self._offer_from(cached, cmd.clinic_id, cmd.service_id, for_reschedule=True)
        vets = vets_of(offer.service)
        if fingerprint is None or offer.service is not cached[1]:
            async with self._deps.uow() as uow:
                fingerprint = await uow.bookings.busy_fingerprint(vets, busy_start, busy_end)
        schedule = offer.schedule
        key = (
            cmd.clinic_id,
            cmd.service_id,
            cmd.vet_id,
            cmd.window_start,
            cmd.window_end,
            offer.clinic.version,
            offer.service.version,
            None if schedule is None else schedule.version,
            fingerprint,
        )
        memo = self._deps.availability_memo
        computed = memo.get(key)
        if computed is None:
            slots: list[Slot] = []
            if schedule is not None:
                # Read after the fingerprint: as new or newer, never older, than what it
                # names (bookings only change forward), so the kept answer is never stale.
                async with self._deps.uow() as uow:
                    busy = await uow.bookings.busy(vets, busy_start, busy_end)
                slots = slots_between(
                    zone=offer.zone,
                    slot_minutes=offer.clinic.policy.slot_minutes,
                    service=offer.service,
                    weekly_hours=schedule.weekly_hours,
                    exceptions=schedule.exceptions,
                    busy=busy,
                    lower=cmd.window_start,
                    upper=cmd.window_end,
                    vet_ids=vet_filter,
                )
            computed = ComputedSlots(key=key, slots=tuple(slots))
            memo.put(computed)
        lower, upper = bookable_range(
            offer.clinic.policy, self._deps.clock.now(), cmd.window_start, cmd.window_end
        )
        return computed.between(lower, upper)

    # -- recovery --------------------------------------------------------------------------

    async def advance_due_sagas(self, cmd: AdvanceDueSagas) -> int:
        """Resume the sagas that are due; answers how many took a step."""
        orchestrator = self._orchestrator(needs_reservations=False)
        async with self._deps.uow() as uow:
            due = await uow.sagas.due(self._deps.clock.now(), cmd.limit)
        advanced = 0
        for booking_id in due:
            if await orchestrator.advance(booking_id):
                advanced += 1
        return advanced

    # -- helpers ---------------------------------------------------------------------------

    def _orchestrator(self, *, needs_reservations: bool) -> BookingSagaOrchestrator:
        deps = self._deps
        if deps.payments is None:
            raise ServiceUnavailable("payments are not configured")
        if needs_reservations and deps.reservations is None:
            raise ServiceUnavailable("product reservations are not configured")
        return BookingSagaOrchestrator(
            uow=deps.uow,
            clock=deps.clock,
            payments=deps.payments,
            reservations=deps.reservations,
            faults=deps.faults,
            settings=deps.saga,
        )

    async def _visible_booking(self, actor: Actor, booking_id: UUID) -> Booking:
        async with self._deps.uow() as uow:
            booking = await uow.bookings.get(booking_id)
        if booking is None:
            raise BookingNotFound("no such booking")
        if actor.is_admin or booking.owner_id == actor.user_id:
            return booking
        clinic = await self._clinic(booking.clinic_id)
        if clinic is None or not clinic.is_staff(actor.user_id):
            raise BookingNotFound("no such booking")
        return booking

    async def _require_staff(self, actor: Actor, clinic_id: UUID) -> CachedClinic:
        clinic = await self._clinic(clinic_id)
        if clinic is None:
            raise ClinicNotFound("no such clinic")
        if not (actor.is_admin or clinic.is_staff(actor.user_id)):
            raise PermissionDenied("only the clinic's staff see its bookings")
        return clinic

    async def _pet(self, pet_id: UUID) -> CachedPet | None:
        """The cached pet (a tombstone included); the directory when the cache has none."""
        async with self._deps.uow() as uow:
            pet = await uow.pet_cache.get(pet_id)
        return pet if pet is not None else await self._deps.pets.find_pet(pet_id)

    async def _clinic(self, clinic_id: UUID) -> CachedClinic | None:
        async with self._deps.uow() as uow:
            clinic = await uow.clinics.clinic(clinic_id)
        return clinic if clinic is not None else await self._deps.clinics.find_clinic(clinic_id)

    async def _offer(
        self, clinic_id: UUID, service_id: UUID, *, for_reschedule: bool = False
    ) -> _Offer:
        async with self._deps.uow() as uow:
            cached = await uow.clinics.offer(clinic_id, service_id)
        return await self._offer_from(cached, clinic_id, service_id, for_reschedule=for_reschedule)

    async def _offer_from(
        self,
        cached: tuple[CachedClinic | None, CachedService | None, CachedSchedule | None],
        clinic_id: UUID,
        service_id: UUID,
        *,
        for_reschedule: bool = False,
    ) -> _Offer:
        """The clinic, the service and the schedule: as cached, else from the directory
        (called outside any transaction: on SQLite another context's transaction would wait
        for ours). A new booking needs an active service; moving one or listing slots does
        not check (a withdrawn service simply has no slots)."""
        clinic, service, schedule = cached
        directory = self._deps.clinics
        clinic = clinic or await directory.find_clinic(clinic_id)
        if clinic is None:
            raise ClinicNotFound("no such clinic")
        service = service or await directory.find_service(service_id)
        if service is None:
            raise ServiceNotFound("no such service")
        if service.clinic_id != clinic_id:
            raise ServiceNotFound("the clinic offers no such service")
        if not for_reschedule and not service.active:
            raise ServiceNotBookable("the service is not offered any more")
        schedule = schedule or await directory.find_schedule(clinic_id)
        return _Offer(clinic=clinic, service=service, schedule=schedule)


def _check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput("the window ends after it starts", field="window_end")
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"the window is at most {MAX_WINDOW.days} days", field="window_end")


def _without(busy: Sequence[BusyInterval], booking: Booking) -> list[BusyInterval]:
    """`busy` without the booking's own interval (the one being moved). Intervals of one
    vet never overlap, so the one equal to the booking's is its own."""
    own = BusyInterval(
        vet_id=booking.vet_id,
        blocked_from=booking.blocked_from,
        blocked_until=booking.blocked_until,
    )
    remaining = list(busy)
    if own in remaining:
        remaining.remove(own)
    return remaining
