"""Bookings through the bus on in-memory adapters: what may be booked and by whom (with the
pet and clinic directories as fallbacks of the caches), who sees a booking, the refund tiers
of a cancellation in the clinic's time zone, rescheduling all at once or not at all, a
clinic's day sheet, an owner's list and the availability query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.booking import BookingState, InMemoryBookingUnitOfWork
from petpro_core.booking.availability_memo import AvailabilityMemo, AvailableSlots, ComputedSlots
from petpro_core.booking.commands import (
    CancelBooking,
    CreateBooking,
    FindAvailability,
    GetBooking,
    GetDaySheet,
    ListClinicBookings,
    ListOwnerBookings,
    RescheduleBooking,
)
from petpro_core.booking.domain.availability import Slot, blocked_interval
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.domain.errors import (
    BookingNotCancellable,
    BookingNotFound,
    BookingNotReschedulable,
    CachedPetNotFound,
    ClinicNotFound,
    OutsideAvailability,
    PetNotBookable,
    ServiceNotBookable,
    ServiceNotFound,
    SlotUnavailable,
    VetNotBookable,
)
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.handlers import BookingHandlers
from petpro_core.booking.ports import BookingRepository, BusyInterval
from petpro_core.booking.views import DaySheet
from petpro_core.contracts.clinic import BookingPolicy
from petpro_core.shared.actors import Actor
from petpro_core.shared.errors import InvalidInput, PermissionDenied, ServiceUnavailable
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest
from tests.support.booking import (
    ADMIN,
    T0,
    TOMORROW,
    BookingWorld,
    ClinicSetup,
    Crash,
    owner_actor,
)


@pytest.fixture
def world() -> BookingWorld:
    return BookingWorld()


async def get(world: BookingWorld, actor: Actor, booking_id: UUID) -> Booking:
    booking: Booking = await world.bus.execute(GetBooking(actor=actor, booking_id=booking_id))
    return booking


async def cancel(world: BookingWorld, actor: Actor, booking_id: UUID, reason: str = "") -> Booking:
    booking: Booking = await world.bus.execute(
        CancelBooking(actor=actor, booking_id=booking_id, reason=reason)
    )
    return booking


async def reschedule(
    world: BookingWorld, actor: Actor, booking_id: UUID, starts_at: datetime, **extra: Any
) -> Booking:
    booking: Booking = await world.bus.execute(
        RescheduleBooking(actor=actor, booking_id=booking_id, starts_at=starts_at, **extra)
    )
    return booking


# -- what may be booked --------------------------------------------------------------------


async def test_only_pet_owners_book(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    _, pet = await world.owner_with_pet()
    vet = Actor(user_id=pet.owner_id, roles=frozenset({"vet"}))

    with pytest.raises(PermissionDenied):
        await world.book(vet, pet, setup)


async def test_only_the_actors_own_live_pet_can_be_booked(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    stranger = owner_actor()

    with pytest.raises(CachedPetNotFound):
        await world.book(stranger, pet, setup)
    unknown = replace(pet, pet_id=new_id())
    with pytest.raises(CachedPetNotFound):
        await world.book(owner, unknown, setup)

    tombstone = CachedPet.tombstone(
        pet_id=pet.pet_id, owner_id=owner.user_id, version=2, updated_at=T0
    )
    async with world.uow() as uow:
        uow.pet_cache.apply(tombstone)
        await uow.commit()
    world.pets.pets[pet.pet_id] = pet  # the directory lags behind: the tombstone wins
    with pytest.raises(PetNotBookable):
        await world.book(owner, pet, setup)
    assert world.pets.calls == 1  # only for the unknown pet


async def test_a_pet_the_cache_has_not_seen_is_found_in_the_pet_directory(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner = owner_actor()
    pet = await world.add_pet(owner, cached=False)

    booking = await world.book(owner, pet, setup)

    assert booking.status == BookingStatus.CONFIRMED
    assert world.pets.calls == 1


async def test_a_clinic_the_cache_has_not_seen_is_found_in_the_clinic_directory(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic(cached=False)
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup)

    assert booking.status == BookingStatus.CONFIRMED
    assert world.clinics.calls >= 3  # clinic, service, schedule
    assert (await get(world, setup.staff(), booking.booking_id)) == booking  # staff via directory


async def test_the_clinic_and_service_must_exist_and_belong_together(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    other = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    with pytest.raises(ClinicNotFound):
        await world.book(
            owner, pet, replace(setup, clinic=replace(setup.clinic, clinic_id=new_id()))
        )
    with pytest.raises(ServiceNotFound):
        await world.book(
            owner, pet, replace(setup, service=replace(setup.service, service_id=new_id()))
        )
    with pytest.raises(ServiceNotFound):
        await world.book(owner, pet, replace(setup, service=other.service))


async def test_a_withdrawn_service_or_another_species_cannot_be_booked(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic(species=("Dog",))
    owner, cat = await world.owner_with_pet()
    dog = await world.add_pet(owner, species="dog")

    with pytest.raises(ServiceNotBookable, match="cat"):
        await world.book(owner, cat, setup)
    assert (await world.book(owner, dog, setup)).status == BookingStatus.CONFIRMED

    await world.cache(replace(setup.service, active=False, version=2))
    with pytest.raises(ServiceNotBookable):
        await world.book(owner, dog, setup, setup.at(TOMORROW, 14))


async def test_the_vet_must_perform_the_service(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    with pytest.raises(VetNotBookable):
        await world.book(owner, pet, setup, vet_id=setup.receptionist)


@pytest.mark.parametrize(
    "starts_at",
    [
        pytest.param(datetime.combine(TOMORROW, time(8, 0)), id="before opening"),
        pytest.param(datetime.combine(TOMORROW, time(16, 45)), id="ends after closing"),
        pytest.param(datetime.combine(TOMORROW, time(10, 7)), id="off the slot grid"),
        pytest.param(datetime.combine(date(2026, 3, 2), time(9, 30)), id="too short notice"),
        pytest.param(datetime.combine(date(2026, 5, 2), time(10, 0)), id="beyond the horizon"),
    ],
)
async def test_a_start_must_be_a_slot_of_the_schedule(
    world: BookingWorld, starts_at: datetime
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    with pytest.raises(OutsideAvailability):
        await world.book(owner, pet, setup, starts_at.replace(tzinfo=setup.zone))
    assert world.store.state.bookings == {}


async def test_a_clinic_without_a_schedule_has_no_slots(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    world.store.state.schedules.clear()
    owner, pet = await world.owner_with_pet()

    with pytest.raises(OutsideAvailability):
        await world.book(owner, pet, setup)


async def test_a_vets_blocked_time_cannot_be_booked_twice(world: BookingWorld) -> None:
    setup = await world.add_clinic()  # one vet; 30 minutes plus 10 after
    first_owner, first_pet = await world.owner_with_pet()
    owner, pet = await world.owner_with_pet()
    await world.book(first_owner, first_pet, setup, setup.at(TOMORROW, 10))

    for taken in (10, 9.75, 10.5):  # the same start, one ending inside it, one in the buffer
        starts_at = setup.at(TOMORROW, int(taken), int(taken % 1 * 60))
        with pytest.raises(SlotUnavailable):
            await world.book(owner, pet, setup, starts_at)
    assert (await world.book(owner, pet, setup, setup.at(TOMORROW, 10, 45))).is_active


async def test_without_a_vet_the_first_free_vet_takes_the_booking(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=3)
    first, second, third = setup.vets

    bookings = []
    for _ in range(2):
        owner, pet = await world.owner_with_pet()
        bookings.append(await world.book(owner, pet, setup))
    owner, pet = await world.owner_with_pet()
    chosen = await world.book(owner, pet, setup, vet_id=third)

    assert [b.vet_id for b in bookings] == [first, second]
    assert chosen.vet_id == third
    owner, pet = await world.owner_with_pet()
    with pytest.raises(SlotUnavailable):
        await world.book(owner, pet, setup)


async def test_booking_needs_a_payment_gateway(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    world.bus = MessageBus()
    BookingHandlers(world.dependencies(payments=None)).register(world.bus)

    with pytest.raises(ServiceUnavailable):
        await world.book(owner, pet, setup)


class _BlindBookings:
    """A booking repository whose `busy` sees nothing: as if a concurrent transaction had
    taken the slot after the check, so only the store's own overlap check stands."""

    def __init__(self, inner: BookingRepository) -> None:
        self._inner = inner
        self.get = inner.get
        self.add = inner.add
        self.save = inner.save
        self.list_for_owner = inner.list_for_owner
        self.list_for_clinic = inner.list_for_clinic

    async def busy(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> list[BusyInterval]:
        return []


class _BlindUnitOfWork(InMemoryBookingUnitOfWork):
    def _bind(self, working: BookingState) -> None:
        super()._bind(working)
        self.bookings = _BlindBookings(self.bookings)


def _blind(world: BookingWorld) -> None:
    world.bus = MessageBus()
    BookingHandlers(world.dependencies(uow=lambda: _BlindUnitOfWork(world.store))).register(
        world.bus
    )


async def test_the_stores_overlap_check_has_the_last_word(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    first_owner, first_pet = await world.owner_with_pet()
    owner, pet = await world.owner_with_pet()
    await world.book(first_owner, first_pet, setup)
    _blind(world)

    with pytest.raises(SlotUnavailable):
        await world.book(owner, pet, setup)
    assert len(world.store.state.bookings) == 1
    assert len(world.payments.charges) == 1


# -- who sees a booking --------------------------------------------------------------------


async def test_the_owner_the_clinics_staff_and_admins_see_a_booking(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    other_clinic = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)

    for actor in (owner, setup.staff(), setup.staff(setup.vets[0]), ADMIN):
        assert await get(world, actor, booking.booking_id) == booking
    for actor in (owner_actor(), other_clinic.staff(), other_clinic.staff(other_clinic.vets[0])):
        with pytest.raises(BookingNotFound):
            await get(world, actor, booking.booking_id)
    with pytest.raises(BookingNotFound):
        await get(world, owner, new_id())


async def test_an_owner_lists_their_own_bookings_soonest_first(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)
    owner, pet = await world.owner_with_pet()
    other, their_pet = await world.owner_with_pet()
    late = await world.book(owner, pet, setup, setup.at(TOMORROW, 15))
    early = await world.book(owner, pet, setup, setup.at(TOMORROW, 9))
    failed = await world.book(owner, pet, setup, setup.at(TOMORROW, 12), token="tok_declined")
    await world.book(other, their_pet, setup, setup.at(TOMORROW, 11))

    page: Page[Booking] = await world.bus.execute(ListOwnerBookings(actor=owner))
    assert [b.booking_id for b in page.items] == [
        early.booking_id,
        failed.booking_id,
        late.booking_id,
    ]
    confirmed: Page[Booking] = await world.bus.execute(
        ListOwnerBookings(actor=owner, status=BookingStatus.CONFIRMED, page=PageRequest(limit=1))
    )
    assert ([b.booking_id for b in confirmed.items], confirmed.total) == ([early.booking_id], 2)


# -- cancellation --------------------------------------------------------------------------

BERLIN_START = datetime(2026, 3, 5, 10, 0)  # local


@pytest.mark.parametrize(
    ("before_start", "by", "refund"),
    [
        pytest.param(timedelta(hours=30), "owner", "45.55", id="owner, a day ahead: all"),
        pytest.param(timedelta(hours=24), "owner", "45.55", id="owner, exactly 24 h: all"),
        pytest.param(timedelta(hours=23, minutes=59), "owner", "22.77", id="owner, late: half"),
        pytest.param(timedelta(minutes=1), "owner", "22.77", id="owner, a minute ahead"),
        pytest.param(timedelta(0), "owner", "0.00", id="owner, at the start: nothing"),
        pytest.param(-timedelta(minutes=10), "owner", "0.00", id="owner, started: nothing"),
        pytest.param(timedelta(hours=1), "clinic", "45.55", id="clinic, late: all"),
        pytest.param(-timedelta(minutes=10), "admin", "45.55", id="admin, started: all"),
    ],
)
async def test_the_refund_follows_the_clinics_policy(
    world: BookingWorld, before_start: timedelta, by: str, refund: str
) -> None:
    setup = await world.add_clinic(zone="Europe/Berlin")
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup, BERLIN_START.replace(tzinfo=setup.zone))
    world.clock.advance(booking.starts_at - before_start - world.clock.now())
    actor = {"owner": owner, "clinic": setup.staff(), "admin": ADMIN}[by]

    cancelled = await cancel(world, actor, booking.booking_id, reason="plans changed")

    expected = Money.of(refund, "USD")
    assert (cancelled.status, cancelled.refund) == (BookingStatus.CANCELLED, expected)
    assert cancelled.cancelled_by == ("owner" if by == "owner" else "clinic")
    assert cancelled.cancelled_by_user_id == actor.user_id
    (event,) = world.events("booking.cancelled")
    assert (event.refund, event.reason, event.aggregate_version) == (
        expected,
        "plans changed",
        3,
    )
    assert (event.cancelled_by, event.cancelled_by_user_id) == (
        cancelled.cancelled_by,
        actor.user_id,
    )
    refunds = world.refunded(booking.booking_id)
    assert refunds == ([expected] if expected.amount else [])
    assert [e.amount for e in world.events("payment.refunded")] == refunds
    assert (await world.saga(booking.booking_id)).is_finished


async def test_the_refund_counts_elapsed_hours_across_a_daylight_saving_change(
    world: BookingWorld,
) -> None:
    """Berlin moves to summer time in the night before 29 March 2026: 10:00 on the 28th is
    only 23 hours before 10:00 on the 29th."""
    setup = await world.add_clinic(zone="Europe/Berlin")
    starts_at = datetime(2026, 3, 29, 10, 0, tzinfo=setup.zone)
    refunds = []
    for local_cancel in (time(10, 0), time(9, 0)):
        world = BookingWorld()
        setup = await world.add_clinic(zone="Europe/Berlin")
        owner, pet = await world.owner_with_pet()
        booking = await world.book(owner, pet, setup, starts_at)
        moment = datetime.combine(date(2026, 3, 28), local_cancel, setup.zone)
        world.clock.advance(moment - world.clock.now())
        refunds.append((await cancel(world, owner, booking.booking_id)).refund)

    assert refunds == [Money.of("22.77", "USD"), Money.of("45.55", "USD")]


async def test_a_late_refund_is_rounded_down_to_the_minor_unit(world: BookingWorld) -> None:
    setup = await world.add_clinic(
        price=Money.of(1001, "JPY"), policy=BookingPolicy(late_refund_percent=33)
    )
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)
    world.clock.advance(booking.starts_at - timedelta(hours=2) - world.clock.now())

    cancelled = await cancel(world, owner, booking.booking_id)

    assert cancelled.refund == Money(Decimal("330"), "JPY")  # 330.33 rounded down
    assert world.payments.net_charged(world.payments.charges[0].reference) == Money.of(671, "JPY")


async def test_a_cancellation_frees_the_slot_and_releases_the_products(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    products = world.stock(5)
    booking = await world.book(owner, pet, setup, products=products)
    assert world.reservations.stock[products[0].product_id] == 3

    cancelled = await cancel(world, owner, booking.booking_id)

    assert cancelled.cancellation_reason == "cancelled by the owner"
    assert world.reservations.active() == []
    assert world.reservations.stock[products[0].product_id] == 5
    other, their_pet = await world.owner_with_pet()
    assert (await world.book(other, their_pet, setup)).status == BookingStatus.CONFIRMED


async def test_only_held_or_confirmed_bookings_can_be_cancelled(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)
    failed = await world.book(owner, pet, setup, token="tok_declined")
    await cancel(world, owner, booking.booking_id)

    for booking_id in (booking.booking_id, failed.booking_id):
        with pytest.raises(BookingNotCancellable):
            await cancel(world, owner, booking_id)
    with pytest.raises(BookingNotFound):
        await cancel(world, owner_actor(), booking.booking_id)
    assert len(world.events("booking.cancelled")) == 1


async def test_a_held_booking_never_charged_is_cancelled_without_the_gateway(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking_id = new_id()
    world.faults.arm("after_hold")
    with pytest.raises(Crash):
        await world.book(owner, pet, setup, booking_id=booking_id)

    cancelled = await cancel(world, owner, booking_id)

    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.refund == Money.of("0.00", "USD")
    assert world.payments.calls == {"charge": 0, "refund": 0}
    assert (await world.saga(booking_id)).is_finished


# -- rescheduling --------------------------------------------------------------------------


async def test_a_confirmed_booking_moves_to_a_free_slot(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)

    moved = await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 14))

    assert moved.starts_at == setup.at(TOMORROW, 14)
    assert moved.ends_at == setup.at(TOMORROW, 14, 30)
    assert moved.blocked_until == setup.at(TOMORROW, 14, 40)
    assert (moved.version, moved.status, moved.vet_id) == (
        3,
        BookingStatus.CONFIRMED,
        booking.vet_id,
    )
    assert await world.booking(booking.booking_id) == moved
    (event,) = world.events("booking.rescheduled")
    assert (event.previous_starts_at, event.previous_vet_id, event.starts_at) == (
        booking.starts_at,
        booking.vet_id,
        moved.starts_at,
    )
    assert event.aggregate_version == 3
    other, their_pet = await world.owner_with_pet()
    assert (await world.book(other, their_pet, setup)).is_active  # the old slot is free
    with pytest.raises(SlotUnavailable):
        await world.book(other, their_pet, setup, setup.at(TOMORROW, 14))


async def test_a_booking_may_move_into_its_own_time(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)

    moved = await reschedule(world, setup.staff(), booking.booking_id, setup.at(TOMORROW, 10, 15))

    assert moved.starts_at == setup.at(TOMORROW, 10, 15)


async def test_a_move_into_a_taken_slot_changes_nothing(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)
    other, their_pet = await world.owner_with_pet()
    await world.book(other, their_pet, setup, setup.at(TOMORROW, 14))

    with pytest.raises(SlotUnavailable):
        await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 14, 15))
    _blind(world)  # and when only the store's check catches it
    with pytest.raises(SlotUnavailable):
        await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 14))

    assert await world.booking(booking.booking_id) == booking
    assert world.events("booking.rescheduled") == []


async def test_a_move_keeps_the_vet_when_free_else_takes_a_free_one(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)
    first, second = setup.vets
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup, vet_id=second)
    other, their_pet = await world.owner_with_pet()
    await world.book(other, their_pet, setup, setup.at(TOMORROW, 15), vet_id=second)

    kept = await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 11))
    switched = await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 15))
    chosen = await reschedule(
        world, owner, booking.booking_id, setup.at(TOMORROW, 12), vet_id=second
    )

    assert (kept.vet_id, switched.vet_id, chosen.vet_id) == (second, first, second)
    with pytest.raises(VetNotBookable):
        await reschedule(world, owner, booking.booking_id, setup.at(TOMORROW, 13), vet_id=new_id())


async def test_only_confirmed_future_bookings_move(world: BookingWorld) -> None:
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic(vets=3)
    owner, pet = await world.owner_with_pet()
    held = await world.book(owner, pet, setup, token="tok_transient")
    failed = await world.book(owner, pet, setup, token="tok_declined")
    confirmed = await world.book(owner, pet, setup)
    cancelled = await cancel(world, owner, (await world.book(owner, pet, setup)).booking_id)
    target = setup.at(TOMORROW, 14)

    for booking in (held, failed, cancelled):
        with pytest.raises(BookingNotReschedulable):
            await reschedule(world, owner, booking.booking_id, target)
    with pytest.raises(OutsideAvailability):
        await reschedule(world, owner, confirmed.booking_id, setup.at(TOMORROW, 20))
    with pytest.raises(BookingNotFound):
        await reschedule(world, owner_actor(), confirmed.booking_id, target)
    world.clock.advance(confirmed.starts_at - world.clock.now())
    with pytest.raises(BookingNotReschedulable):
        await reschedule(world, owner, confirmed.booking_id, setup.at(TOMORROW, 15))


# -- a clinic's day ------------------------------------------------------------------------


async def _day_sheet(
    world: BookingWorld, actor: Actor, setup: ClinicSetup, **extra: Any
) -> DaySheet:
    sheet: DaySheet = await world.bus.execute(
        GetDaySheet(actor=actor, clinic_id=setup.clinic.clinic_id, day=TOMORROW, **extra)
    )
    return sheet


async def test_the_day_sheet_lists_each_vets_bookings_of_the_local_day(
    world: BookingWorld,
) -> None:
    # Los Angeles is UTC-8 in early March: 16:00 local on the 3rd is 00:00 UTC on the 4th.
    setup = await world.add_clinic(zone="America/Los_Angeles", vets=2)
    first, second = setup.vets
    owner, pet = await world.owner_with_pet()
    evening = await world.book(owner, pet, setup, setup.at(TOMORROW, 16), vet_id=first)
    morning = await world.book(owner, pet, setup, setup.at(TOMORROW, 9), vet_id=first)
    noon = await world.book(owner, pet, setup, setup.at(TOMORROW, 12), vet_id=second)
    dropped = await world.book(owner, pet, setup, setup.at(TOMORROW, 14), vet_id=second)
    await cancel(world, owner, dropped.booking_id)
    await world.book(owner, pet, setup, setup.at(TOMORROW + timedelta(days=1), 9), vet_id=first)
    assert evening.starts_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)

    sheet = await _day_sheet(world, setup.staff(), setup)

    assert (sheet.clinic_name, sheet.time_zone, sheet.day) == (
        setup.clinic.name,
        "America/Los_Angeles",
        TOMORROW,
    )
    assert [(day.vet_id, [b.booking_id for b in day.bookings]) for day in sheet.vets] == [
        (first, [morning.booking_id, evening.booking_id]),
        (second, [noon.booking_id]),
    ]
    with_cancelled = await _day_sheet(world, ADMIN, setup, vet_id=second, include_cancelled=True)
    assert [(day.vet_id, [b.booking_id for b in day.bookings]) for day in with_cancelled.vets] == [
        (second, [noon.booking_id, dropped.booking_id])
    ]
    with pytest.raises(PermissionDenied):
        await _day_sheet(world, owner, setup)
    with pytest.raises(ClinicNotFound):
        await world.bus.execute(GetDaySheet(actor=ADMIN, clinic_id=new_id(), day=TOMORROW))


async def test_a_day_sheet_names_vets_without_bookings(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)

    sheet = await _day_sheet(world, setup.staff(setup.vets[1]), setup)

    assert [(day.vet_id, day.bookings) for day in sheet.vets] == [(v, ()) for v in setup.vets]


async def test_the_clinic_lists_its_bookings_for_its_staff_only(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)
    window: dict[str, Any] = {
        "clinic_id": setup.clinic.clinic_id,
        "window_start": setup.at(TOMORROW, 0),
        "window_end": setup.at(TOMORROW + timedelta(days=1), 0),
    }

    page: Page[Booking] = await world.bus.execute(ListClinicBookings(actor=setup.staff(), **window))
    assert [b.booking_id for b in page.items] == [booking.booking_id]
    with pytest.raises(PermissionDenied):
        await world.bus.execute(ListClinicBookings(actor=owner, **window))
    with pytest.raises(InvalidInput):
        await world.bus.execute(
            ListClinicBookings(
                actor=setup.staff(),
                **{**window, "window_end": window["window_start"] + timedelta(days=32)},
            )
        )


# -- availability --------------------------------------------------------------------------


async def _slots(world: BookingWorld, setup: ClinicSetup, **extra: Any) -> list[Slot]:
    found: AvailableSlots = await world.bus.execute(
        FindAvailability(
            clinic_id=setup.clinic.clinic_id,
            service_id=setup.service.service_id,
            window_start=extra.pop("window_start", setup.at(TOMORROW, 9)),
            window_end=extra.pop("window_end", setup.at(TOMORROW, 12)),
            **extra,
        )
    )
    return found.slots


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "directory"])
async def test_availability_leaves_out_booked_time(world: BookingWorld, cached: bool) -> None:
    setup = await world.add_clinic(cached=cached)
    owner, pet = await world.owner_with_pet()
    before = await _slots(world, setup)
    await world.book(owner, pet, setup, setup.at(TOMORROW, 10))

    after = await _slots(world, setup)

    starts = [s.starts_at.astimezone(setup.zone).time() for s in after]
    assert len(before) == 12  # 09:00 … 11:45
    assert starts == [
        time(9, 0),
        time(9, 15),
        *(time(h, m) for h, m in [(10, 45), (11, 0), (11, 15), (11, 30), (11, 45)]),
    ]  # 09:30 would end inside the booking: 09:30-10:00, +10 min buffer; 10:00-10:40 taken


class _CountingMemo(AvailabilityMemo):
    def __init__(self) -> None:
        super().__init__()
        self.computed = 0

    def put(self, computed: ComputedSlots) -> None:
        self.computed += 1
        super().put(computed)


async def test_a_kept_availability_answer_follows_the_clock_and_every_booking(
    world: BookingWorld,
) -> None:
    memo = _CountingMemo()
    world.bus = MessageBus()
    BookingHandlers(world.dependencies(availability_memo=memo)).register(world.bus)
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    first = await _slots(world, setup)
    assert await _slots(world, setup) == first
    assert memo.computed == 1  # asked again, nothing changed: not computed again

    # Time passes: the minimum notice (an hour) now excludes the first two starts.
    world.clock.advance(setup.at(TOMORROW, 8, 30) - world.clock.now())
    assert await _slots(world, setup) == first[2:]
    assert memo.computed == 1

    # A booking (by any process: the store's fingerprint changes) is seen at once.
    booked = await world.book(owner, pet, setup, setup.at(TOMORROW, 11))
    after = await _slots(world, setup)
    assert memo.computed == 2

    def clear_of_booking(slot: Slot) -> bool:
        blocked_from, blocked_until = blocked_interval(setup.service, slot.starts_at)
        return blocked_until <= booked.blocked_from or booked.blocked_until <= blocked_from

    assert len(after) < len(first) - 2
    assert after == [slot for slot in first[2:] if clear_of_booking(slot)]


async def test_availability_checks_its_window(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    start = setup.at(TOMORROW, 9)

    with pytest.raises(InvalidInput):
        await _slots(world, setup, window_start=start, window_end=start + timedelta(days=32))
    with pytest.raises(InvalidInput):
        await _slots(world, setup, window_start=start, window_end=start)
    with pytest.raises(ServiceNotFound):
        await world.bus.execute(
            FindAvailability(
                clinic_id=setup.clinic.clinic_id,
                service_id=new_id(),
                window_start=start,
                window_end=start + timedelta(days=1),
            )
        )


class _RacingUnitOfWork(InMemoryBookingUnitOfWork):
    """Its busy check misses bookings (as when another request commits between the check
    and the insert); the store's overlap check still refuses them."""

    def _bind(self, working: BookingState) -> None:
        super()._bind(working)
        real = self.bookings

        class Blind:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            async def busy(self, *args: Any) -> list[BusyInterval]:
                return []

        self.bookings = Blind()  # type: ignore[assignment]


async def test_any_vet_falls_back_to_the_next_when_the_first_was_just_taken(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic(vets=2)
    first_owner, first_pet = await world.owner_with_pet()
    taken = await world.book(first_owner, first_pet, setup, vet_id=setup.vets[0])
    racing = MessageBus()
    BookingHandlers(world.dependencies(uow=lambda: _RacingUnitOfWork(world.store))).register(racing)
    owner, pet = await world.owner_with_pet()
    booking: Booking = await racing.execute(
        CreateBooking(
            actor=owner,
            pet_id=pet.pet_id,
            clinic_id=setup.clinic.clinic_id,
            service_id=setup.service.service_id,
            starts_at=taken.starts_at,
            payment_token="tok_visa",
        )
    )
    assert booking.status is BookingStatus.CONFIRMED and booking.vet_id == setup.vets[1]
    late_owner, late_pet = await world.owner_with_pet()
    with pytest.raises(SlotUnavailable):
        await racing.execute(
            CreateBooking(
                actor=late_owner,
                pet_id=late_pet.pet_id,
                clinic_id=setup.clinic.clinic_id,
                service_id=setup.service.service_id,
                starts_at=taken.starts_at,
                payment_token="tok_visa",
            )
        )
