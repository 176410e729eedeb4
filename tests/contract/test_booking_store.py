"""Contract of the booking store's ports (bookings, saga state, clinic caches), run against
every adapter: no double booking per vet, optimistic versions, busy intervals, pages with
totals, due sagas, and caches that never go backwards.

After a SlotTaken the unit of work is rolled back before it goes on (on PostgreSQL the
refused statement aborted the transaction; the handlers roll back too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.booking import InMemoryBookingUnitOfWork, in_memory_booking_store
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase
from petpro_core.booking.domain.bookings import Booking, BookingStatus, ProductLine
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.domain.saga import BookingSaga, SagaPhase
from petpro_core.booking.ports import BookingUnitOfWork, BusyInterval, SlotTaken, StaleBooking
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ScheduleException,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

UnitOfWorkFactory = Callable[[], BookingUnitOfWork]

DAY = datetime(2026, 5, 4, tzinfo=UTC)  # a Monday
CREATED = datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
BUFFER = timedelta(minutes=10)


def _memory() -> UnitOfWorkFactory:
    store = in_memory_booking_store()
    return lambda: InMemoryBookingUnitOfWork(store)


def _sql(database: SqlDatabase) -> UnitOfWorkFactory:
    return lambda: SqlBookingUnitOfWork(database)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """A zero-arg factory of fresh units of work on one store (memory, SQLite, PostgreSQL)."""
    if request.param == "memory":
        return _memory()
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return _sql(request.getfixturevalue(fixture))


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def a_booking(
    vet_id: UUID,
    start: datetime,
    minutes: int = 30,
    *,
    status: BookingStatus = BookingStatus.HELD,
    **fields: Any,
) -> Booking:
    """A booking of `minutes` from `start`, blocking BUFFER before and after it."""
    end = start + timedelta(minutes=minutes)
    defaults: dict[str, Any] = {
        "booking_id": new_id(),
        "owner_id": new_id(),
        "pet_id": new_id(),
        "clinic_id": new_id(),
        "service_id": new_id(),
        "vet_id": vet_id,
        "starts_at": start,
        "ends_at": end,
        "blocked_from": start - BUFFER,
        "blocked_until": end + BUFFER,
        "price": Money.of("4500", "JPY"),
        "products": (),
        "status": status,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    return Booking(**{**defaults, **fields})


def moved(booking: Booking, start: datetime, **fields: Any) -> Booking:
    """The booking at `start` (same length and buffers), one version on."""
    shift = start - booking.starts_at
    return replace(
        booking,
        starts_at=booking.starts_at + shift,
        ends_at=booking.ends_at + shift,
        blocked_from=booking.blocked_from + shift,
        blocked_until=booking.blocked_until + shift,
        version=booking.version + 1,
        **fields,
    )


async def add(uow: UnitOfWorkFactory, *bookings: Booking) -> None:
    async with uow() as unit:
        for booking in bookings:
            await unit.bookings.add(booking)
        await unit.commit()


async def get(uow: UnitOfWorkFactory, booking_id: UUID) -> Booking | None:
    async with uow() as unit:
        return await unit.bookings.get(booking_id)


async def refused(uow: UnitOfWorkFactory, booking: Booking, *, new: bool = True) -> bool:
    """Whether adding (or saving) `booking` raises SlotTaken; commits when it does not."""
    async with uow() as unit:
        try:
            if new:
                await unit.bookings.add(booking)
            else:
                await unit.bookings.save(booking)
        except SlotTaken:
            await unit.rollback()
            return True
        await unit.commit()
        return False


# --- bookings: storage ----------------------------------------------------------------------


async def test_bookings_round_trip_with_every_field(uow: UnitOfWorkFactory) -> None:
    vet = new_id()
    plain = a_booking(vet, at(9))
    full = a_booking(
        vet,
        at(10, 5),
        45,
        status=BookingStatus.CANCELLED,
        blocked_from=at(9, 50) - timedelta(microseconds=1),
        blocked_until=at(11, 5),
        price=Money.of("129.90", "EUR"),
        products=(
            ProductLine(product_id=new_id(), quantity=2),
            ProductLine(product_id=new_id(), quantity=1000),
        ),
        created_at=CREATED,
        updated_at=CREATED + timedelta(hours=1, microseconds=7),
        version=4,
        failure_reason="card declined",
        cancelled_by="clinic",
        cancelled_by_user_id=new_id(),
        cancellation_reason="Ōkami 狼 is unwell",
        refund=Money.of("64.95", "EUR"),
    )

    await add(uow, plain, full)

    assert await get(uow, plain.booking_id) == plain
    stored = await get(uow, full.booking_id)
    assert stored == full
    assert stored is not None and stored.price.amount.as_tuple() == Decimal("129.90").as_tuple()
    assert await get(uow, new_id()) is None


async def test_a_booking_is_added_only_by_commit(uow: UnitOfWorkFactory) -> None:
    booking = a_booking(new_id(), at(9))
    async with uow() as unit:
        await unit.bookings.add(booking)
        assert await unit.bookings.get(booking.booking_id) == booking  # reads its own write
        await unit.rollback()
    assert await get(uow, booking.booking_id) is None
    # The slot was not taken either.
    assert not await refused(uow, a_booking(booking.vet_id, at(9)))


async def test_an_id_is_taken_once(uow: UnitOfWorkFactory) -> None:
    booking = a_booking(new_id(), at(9))
    await add(uow, booking)
    # Even an inactive booking elsewhere: the id is taken.
    again = a_booking(new_id(), at(15), booking_id=booking.booking_id, status=BookingStatus.FAILED)
    assert await refused(uow, again)
    assert await get(uow, booking.booking_id) == booking


# --- bookings: no double booking --------------------------------------------------------------


async def test_an_overlapping_active_booking_of_the_same_vet_is_refused(
    uow: UnitOfWorkFactory,
) -> None:
    vet = new_id()
    first = a_booking(vet, at(10))  # blocks 09:50 to 10:40
    await add(uow, first)

    # Overlapping the appointment, only the buffers, or enclosing it: all refused.
    assert await refused(uow, a_booking(vet, at(10)))
    assert await refused(uow, a_booking(vet, at(10, 45)))  # its buffer starts 10:35
    assert await refused(uow, a_booking(vet, at(9, 15)))  # its buffer ends 09:55
    assert await refused(uow, a_booking(vet, at(8), 240))
    assert await refused(uow, a_booking(vet, at(10, 10), 5, status=BookingStatus.CONFIRMED))

    # Touching intervals are fine ([from, until) is half-open), as is another vet.
    before = a_booking(vet, at(9, 10))  # blocks 09:00 to 09:50
    after = a_booking(vet, at(10, 50))  # blocks 10:40 to 11:30
    other_vet = a_booking(new_id(), at(10))
    assert not await refused(uow, before)
    assert not await refused(uow, after)
    assert not await refused(uow, other_vet)

    for booking in (first, before, after, other_vet):
        assert await get(uow, booking.booking_id) == booking


async def test_the_unit_of_work_goes_on_after_a_refusal_and_rollback(
    uow: UnitOfWorkFactory,
) -> None:
    vet = new_id()
    await add(uow, a_booking(vet, at(10)))
    elsewhere = a_booking(vet, at(14))
    async with uow() as unit:
        with pytest.raises(SlotTaken):
            await unit.bookings.add(a_booking(vet, at(10, 15)))
        await unit.rollback()
        await unit.bookings.add(elsewhere)
        await unit.commit()
    assert await get(uow, elsewhere.booking_id) == elsewhere


async def test_failed_and_cancelled_bookings_do_not_block(uow: UnitOfWorkFactory) -> None:
    vet = new_id()
    failed = a_booking(vet, at(10), status=BookingStatus.FAILED, failure_reason="declined")
    cancelled = a_booking(vet, at(10), status=BookingStatus.CANCELLED, cancelled_by="owner")
    await add(uow, failed, cancelled)  # inactive bookings overlap each other freely

    active = a_booking(vet, at(10))
    assert not await refused(uow, active)
    # An inactive booking may also be stored over an active one.
    late_failure = a_booking(vet, at(10), status=BookingStatus.FAILED)
    assert not await refused(uow, late_failure)
    assert await get(uow, late_failure.booking_id) == late_failure


async def test_a_reschedule_onto_another_booking_is_refused(uow: UnitOfWorkFactory) -> None:
    vet = new_id()
    morning = a_booking(vet, at(10))  # blocks 09:50 to 10:40
    noon = a_booking(vet, at(12))  # blocks 11:50 to 12:40
    await add(uow, morning, noon)

    onto_morning = moved(noon, at(10, 30))
    assert await refused(uow, onto_morning, new=False)
    assert await get(uow, noon.booking_id) == noon  # unchanged

    # Moving next to it, or overlapping its own old interval, is fine.
    next_to_morning = moved(noon, at(10, 50))
    assert not await refused(uow, next_to_morning, new=False)
    assert await get(uow, noon.booking_id) == next_to_morning
    nudged = moved(morning, at(9, 55))
    assert not await refused(uow, nudged, new=False)

    # A cancelled booking frees its slot: its change is saved, and the slot can be taken.
    cancelled = replace(
        nudged, status=BookingStatus.CANCELLED, version=nudged.version + 1, cancelled_by="owner"
    )
    assert not await refused(uow, cancelled, new=False)
    assert not await refused(uow, a_booking(vet, at(10)))


# --- bookings: versions -------------------------------------------------------------------


async def test_a_save_needs_the_stored_version_before_it(uow: UnitOfWorkFactory) -> None:
    booking = a_booking(new_id(), at(10))
    await add(uow, booking)
    confirmed = replace(booking, status=BookingStatus.CONFIRMED, version=2)

    async with uow() as unit:
        with pytest.raises(StaleBooking):
            await unit.bookings.save(replace(confirmed, version=3))  # skips a version
        with pytest.raises(StaleBooking):
            await unit.bookings.save(replace(booking, version=1))  # not a change
        await unit.bookings.save(confirmed)
        await unit.commit()
    assert await get(uow, booking.booking_id) == confirmed

    # A second writer that read version 1 too loses.
    async with uow() as unit:
        with pytest.raises(StaleBooking):
            await unit.bookings.save(replace(booking, status=BookingStatus.FAILED, version=2))
        with pytest.raises(StaleBooking):
            await unit.bookings.save(a_booking(new_id(), at(15), version=2))  # unknown
    assert await get(uow, booking.booking_id) == confirmed


# --- bookings: queries ----------------------------------------------------------------------


def _sorted(intervals: list[BusyInterval]) -> list[BusyInterval]:
    return sorted(intervals, key=lambda i: (i.blocked_from, i.blocked_until, str(i.vet_id)))


def busy(booking: Booking) -> BusyInterval:
    return BusyInterval(
        vet_id=booking.vet_id,
        blocked_from=booking.blocked_from,
        blocked_until=booking.blocked_until,
    )


async def test_busy_answers_the_blocked_intervals_of_active_bookings(
    uow: UnitOfWorkFactory,
) -> None:
    ana, ben, cy = new_id(), new_id(), new_id()
    ana_early = a_booking(ana, at(9))  # blocks 08:50 to 09:40
    ana_late = a_booking(ana, at(11), status=BookingStatus.CONFIRMED)  # 10:50 to 11:40
    ana_cancelled = a_booking(ana, at(10), status=BookingStatus.CANCELLED)
    ben_mid = a_booking(ben, at(10))  # 09:50 to 10:40
    cy_all_day = a_booking(cy, at(8), 480)
    await add(uow, ana_early, ana_late, ana_cancelled, ben_mid, cy_all_day)

    async with uow() as unit:
        window = await unit.bookings.busy([ana, ben], at(9, 30), at(11))
        assert _sorted(window) == [busy(ana_early), busy(ben_mid), busy(ana_late)]
        # Touching the window's edges is not overlapping it.
        assert await unit.bookings.busy([ana], at(9, 40), at(10, 50)) == []
        assert await unit.bookings.busy([ana, ben, cy], at(20), at(21)) == []
        assert await unit.bookings.busy([], at(0), at(23)) == []
        assert await unit.bookings.busy([cy, new_id()], at(12), at(13)) == [busy(cy_all_day)]


async def test_the_busy_fingerprint_changes_exactly_when_busy_can(
    uow: UnitOfWorkFactory,
) -> None:
    ana, ben = new_id(), new_id()

    async def fingerprint() -> str:
        async with uow() as unit:
            return await unit.bookings.busy_fingerprint([ana], at(9), at(12))

    empty = await fingerprint()
    assert empty == await fingerprint()
    # Bookings of another vet, outside the window, or inactive change nothing.
    await add(
        uow,
        a_booking(ben, at(10)),
        a_booking(ana, at(15)),
        a_booking(ana, at(10), status=BookingStatus.FAILED),
    )
    assert await fingerprint() == empty

    held = a_booking(ana, at(10))
    await add(uow, held)
    with_held = await fingerprint()
    assert with_held != empty
    assert with_held == await fingerprint()  # stable while nothing changes

    confirmed = replace(held, status=BookingStatus.CONFIRMED, version=2)
    assert not await refused(uow, confirmed, new=False)
    with_confirmed = await fingerprint()  # the same interval, but a change: a new key
    assert with_confirmed not in {empty, with_held}

    later = moved(confirmed, at(11))
    assert not await refused(uow, later, new=False)
    assert await fingerprint() not in {empty, with_held, with_confirmed}

    cancelled = replace(later, status=BookingStatus.CANCELLED, version=later.version + 1)
    assert not await refused(uow, cancelled, new=False)
    assert await fingerprint() == empty  # the same (empty) set of blocking bookings
    async with uow() as unit:
        assert await unit.bookings.busy_fingerprint([], at(0), at(23)) == empty


async def test_the_offer_comes_with_the_busy_fingerprint_of_its_vets(
    uow: UnitOfWorkFactory,
) -> None:
    clinic_id, service_id, ana, ben, cy = new_id(), new_id(), new_id(), new_id(), new_id()
    clinic, service = (
        a_clinic(clinic_id, 1),
        a_service(service_id, clinic_id, 1, vet_ids=(ana, ben)),
    )

    async def search(vet_id: UUID | None = None, service: UUID = service_id) -> tuple[Any, Any]:
        async with uow() as unit:
            return await unit.clinics.offer_with_busy_fingerprint(
                clinic_id, service, vet_id, at(9), at(12)
            )

    async def fingerprint(*vets: UUID) -> str:
        async with uow() as unit:
            return await unit.bookings.busy_fingerprint(vets, at(9), at(12))

    assert await search() == ((None, None, None), None)  # nothing known yet
    async with uow() as unit:
        await unit.clinics.apply_clinic(clinic)
        await unit.clinics.apply_service(service)
        await unit.commit()
    await add(uow, a_booking(ana, at(10)), a_booking(cy, at(10)), a_booking(ben, at(15)))

    offer, every_vet = await search()
    assert offer == (clinic, service, None)
    assert every_vet == await fingerprint(ana, ben)  # the service's vets, not cy
    assert every_vet != await fingerprint()
    assert (await search(cy))[1] == await fingerprint(cy)  # the vet asked for
    assert (await search(service=new_id()))[1] is None  # an unknown service

    await add(uow, a_booking(ben, at(11)))
    assert (await search())[1] not in {every_vet, None}
    assert (await search())[1] == await fingerprint(ana, ben)


async def test_an_owners_bookings_come_soonest_first_with_the_total(
    uow: UnitOfWorkFactory,
) -> None:
    owner = new_id()
    starts = [at(15), at(9), at(12), at(10), at(17)]
    statuses = [
        BookingStatus.HELD,
        BookingStatus.CONFIRMED,
        BookingStatus.CANCELLED,
        BookingStatus.CONFIRMED,
        BookingStatus.FAILED,
    ]
    mine = [
        a_booking(new_id(), start, owner_id=owner, status=status)
        for start, status in zip(starts, statuses, strict=True)
    ]
    someone_elses = a_booking(new_id(), at(9, 30))
    await add(uow, *mine, someone_elses)
    by_start = sorted(mine, key=lambda b: b.starts_at)

    async with uow() as unit:
        first = await unit.bookings.list_for_owner(owner, PageRequest(limit=2))
        assert (list(first.items), first.total, first.limit, first.offset) == (
            by_start[:2],
            5,
            2,
            0,
        )
        last = await unit.bookings.list_for_owner(owner, PageRequest(limit=2, offset=4))
        assert (list(last.items), last.total) == (by_start[4:], 5)
        past_the_end = await unit.bookings.list_for_owner(owner, PageRequest(limit=2, offset=9))
        assert (list(past_the_end.items), past_the_end.total) == ([], 5)

        confirmed = await unit.bookings.list_for_owner(
            owner, PageRequest(), BookingStatus.CONFIRMED
        )
        assert (list(confirmed.items), confirmed.total) == ([mine[1], mine[3]], 2)

        nobody = await unit.bookings.list_for_owner(new_id(), PageRequest())
        assert (list(nobody.items), nobody.total) == ([], 0)


async def test_a_clinics_bookings_by_start_then_vet_in_a_window(uow: UnitOfWorkFactory) -> None:
    clinic = new_id()
    low_vet, high_vet = sorted([new_id(), new_id()])
    at_nine_high = a_booking(high_vet, at(9), clinic_id=clinic)
    at_nine_low = a_booking(low_vet, at(9), clinic_id=clinic, status=BookingStatus.CANCELLED)
    at_ten = a_booking(low_vet, at(10), clinic_id=clinic)
    before_window = a_booking(low_vet, at(8, 59), 1, clinic_id=clinic)
    at_window_end = a_booking(high_vet, at(11), clinic_id=clinic)
    other_clinic = a_booking(new_id(), at(9, 30))
    await add(uow, at_nine_high, at_nine_low, at_ten, before_window, at_window_end, other_clinic)

    async with uow() as unit:
        page = await unit.bookings.list_for_clinic(clinic, at(9), at(11), PageRequest())
        assert (list(page.items), page.total) == ([at_nine_low, at_nine_high, at_ten], 3)
        second = await unit.bookings.list_for_clinic(
            clinic, at(9), at(11), PageRequest(limit=1, offset=1)
        )
        assert (list(second.items), second.total) == ([at_nine_high], 3)
        empty = await unit.bookings.list_for_clinic(clinic, at(12), at(13), PageRequest())
        assert (list(empty.items), empty.total) == ([], 0)


# --- saga state -----------------------------------------------------------------------------


def a_saga(booking_id: UUID | None = None, **fields: Any) -> BookingSaga:
    defaults: dict[str, Any] = {
        "booking_id": booking_id or new_id(),
        "phase": SagaPhase.CHARGING,
        "payment_token": "tok_visa",
        "amount": Money.of("45.00", "EUR"),
        "next_attempt_at": at(9),
        "expires_at": at(9, 15),
        "updated_at": CREATED,
    }
    return BookingSaga(**{**defaults, **fields})


async def saga_of(uow: UnitOfWorkFactory, booking_id: UUID) -> BookingSaga | None:
    async with uow() as unit:
        return await unit.sagas.get(booking_id)


async def test_sagas_round_trip_with_every_field(uow: UnitOfWorkFactory) -> None:
    fresh = a_saga()
    compensating = a_saga(
        phase=SagaPhase.COMPENSATING,
        payment_token="tok_" + "x" * 100,
        amount=Money.of("12000", "JPY"),
        payment_id=new_id(),
        gateway_reference="ch_3Nv…",
        payment_method="card",
        charged_at=CREATED + timedelta(microseconds=7),
        reservation_id=new_id(),
        refund_due=Money.of("6000", "JPY"),
        release_due=True,
        refunded=Money.of("0", "JPY"),
        failure_reason="products out of stock",
        attempts=3,
        next_attempt_at=at(9, 0) + timedelta(microseconds=999999),
        expires_at=at(9, 15),
        version=7,
        updated_at=CREATED + timedelta(microseconds=1),
    )
    async with uow() as unit:
        await unit.sagas.add(fresh)
        await unit.sagas.add(compensating)
        await unit.commit()

    assert await saga_of(uow, fresh.booking_id) == fresh
    assert await saga_of(uow, compensating.booking_id) == compensating
    assert await saga_of(uow, new_id()) is None


async def test_a_saga_save_needs_the_stored_version_before_it(uow: UnitOfWorkFactory) -> None:
    saga = a_saga()
    async with uow() as unit:
        await unit.sagas.add(saga)
        await unit.commit()
    charged = replace(
        saga,
        phase=SagaPhase.RESERVING,
        payment_id=new_id(),
        gateway_reference="ch_1",
        payment_method="card",
        version=2,
    )
    async with uow() as unit:
        await unit.sagas.save(charged)
        await unit.commit()
    assert await saga_of(uow, saga.booking_id) == charged

    async with uow() as unit:  # a saga is added once
        with pytest.raises(StaleBooking):
            await unit.sagas.add(a_saga(saga.booking_id))
        await unit.rollback()

    # Another orchestrator that read version 1 does not advance the step again.
    async with uow() as unit:
        with pytest.raises(StaleBooking):
            await unit.sagas.save(replace(saga, attempts=1, version=2))
        with pytest.raises(StaleBooking):
            await unit.sagas.save(replace(charged, version=4))
        with pytest.raises(StaleBooking):
            await unit.sagas.save(a_saga(version=2))  # unknown
    assert await saga_of(uow, saga.booking_id) == charged


async def test_due_sagas_are_the_unfinished_ones_whose_time_has_come(
    uow: UnitOfWorkFactory,
) -> None:
    now = at(12)
    retry_due = a_saga(next_attempt_at=at(11), expires_at=at(13))
    lease_over = a_saga(next_attempt_at=at(11, 30), expires_at=at(13))
    # Its expiry came at 11:10 (before its next attempt): due since then.
    expired = a_saga(next_attempt_at=at(12, 30), expires_at=at(11, 10))
    exactly_now = a_saga(phase=SagaPhase.COMPENSATING, next_attempt_at=now, expires_at=at(13))
    waiting = a_saga(next_attempt_at=at(12, 1), expires_at=at(13))
    finished = a_saga(phase=SagaPhase.FINISHED, next_attempt_at=at(8), expires_at=at(8))
    async with uow() as unit:
        for saga in (waiting, exactly_now, finished, expired, lease_over, retry_due):
            await unit.sagas.add(saga)
        await unit.commit()

    oldest_first = [retry_due, expired, lease_over, exactly_now]
    async with uow() as unit:
        assert await unit.sagas.due(now, 10) == [s.booking_id for s in oldest_first]
        assert await unit.sagas.due(now, 2) == [s.booking_id for s in oldest_first[:2]]
        assert await unit.sagas.due(at(10), 10) == []

    # Once finished, a saga is never due again.
    async with uow() as unit:
        await unit.sagas.save(replace(retry_due, phase=SagaPhase.FINISHED, version=2))
        await unit.commit()
    async with uow() as unit:
        assert retry_due.booking_id not in await unit.sagas.due(now, 10)


async def test_payment_records_are_the_charged_sagas_in_the_range(
    uow: UnitOfWorkFactory,
) -> None:
    """What finance reconciles with: sagas whose charge went through, with the booking's
    clinic, by charge time; a saga charged before `charged_at` was kept counts by its last
    change."""
    vet = new_id()
    bookings = [a_booking(vet, at(9 + i)) for i in range(4)]

    def charged(booking: Booking, when: datetime | None, **fields: Any) -> BookingSaga:
        return a_saga(
            booking.booking_id,
            phase=SagaPhase.FINISHED,
            payment_id=new_id(),
            gateway_reference=f"ch_{booking.booking_id.hex[:8]}",
            payment_method="card",
            charged_at=when,
            **fields,
        )

    early = charged(bookings[0], at(9, 1))
    refunded = charged(bookings[1], at(10, 1), refunded=Money.of("20.00", "EUR"))
    legacy = charged(bookings[2], None, updated_at=at(11, 1))  # no charged_at
    declined = a_saga(bookings[3].booking_id, phase=SagaPhase.FINISHED, failure_reason="no")
    await add(uow, *bookings)
    async with uow() as unit:
        for saga in (legacy, declined, refunded, early):
            await unit.sagas.add(saga)
        await unit.commit()

    async with uow() as unit:
        every = await unit.sagas.payments(None, None)
        assert [r.payment_id for r in every] == [
            early.payment_id,
            refunded.payment_id,
            legacy.payment_id,
        ]
        first = every[1]
        assert (first.booking_id, first.clinic_id) == (
            bookings[1].booking_id,
            bookings[1].clinic_id,
        )
        assert (first.charged, first.refunded) == (
            Money.of("45.00", "EUR"),
            Money.of("20.00", "EUR"),
        )
        assert first.charged_at == at(10, 1)
        assert first.gateway_reference == refunded.gateway_reference
        assert every[0].refunded == Money.of("0.00", "EUR")
        assert every[2].charged_at == at(11, 1)
        ranged = await unit.sagas.payments(at(10, 1), at(11, 1))
        assert [r.payment_id for r in ranged] == [refunded.payment_id]
        assert [r.payment_id for r in await unit.sagas.payments(at(10, 2), None)] == [
            legacy.payment_id
        ]
        assert [r.payment_id for r in await unit.sagas.payments(None, at(10))] == [early.payment_id]


# --- clinic caches --------------------------------------------------------------------------


def a_clinic(clinic_id: UUID, version: int, **fields: Any) -> CachedClinic:
    defaults: dict[str, Any] = {
        "name": f"Shibuya Vets v{version}",
        "time_zone": "Asia/Tokyo",
        "policy": BookingPolicy(),
        "staff": (),
    }
    return CachedClinic(clinic_id=clinic_id, version=version, **{**defaults, **fields})


def a_service(service_id: UUID, clinic_id: UUID, version: int, **fields: Any) -> CachedService:
    defaults: dict[str, Any] = {
        "name": f"Check-up v{version}",
        "duration_minutes": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 10,
        "price": Money.of("4500", "JPY"),
        "species": (),
        "vet_ids": (),
        "active": True,
    }
    return CachedService(
        service_id=service_id, clinic_id=clinic_id, version=version, **{**defaults, **fields}
    )


async def test_clinic_caches_round_trip_with_every_field(uow: UnitOfWorkFactory) -> None:
    clinic_id, vet, nurse = new_id(), new_id(), new_id()
    clinic = a_clinic(
        clinic_id,
        3,
        name="Clínica Ōkami 狼",
        time_zone="Europe/Lisbon",
        policy=BookingPolicy(
            min_notice_minutes=0,
            horizon_days=90,
            slot_minutes=20,
            full_refund_hours=48,
            late_refund_percent=25,
        ),
        staff=(
            StaffMember(user_id=vet, role="vet"),
            StaffMember(user_id=nurse, role="clinic_staff"),
        ),
    )
    dental = a_service(
        new_id(),
        clinic_id,
        2,
        name="Dental",
        duration_minutes=90,
        buffer_before_minutes=15,
        buffer_after_minutes=20,
        price=Money.of("89.50", "EUR"),
        species=("cat", "dog"),
        vet_ids=(vet,),
        active=False,
    )
    checkup = a_service(new_id(), clinic_id, 1, name="Check-up")
    schedule = CachedSchedule(
        clinic_id=clinic_id,
        weekly_hours=(
            WorkingHours(vet_id=vet, weekday=1, starts=time(9), ends=time(12, 30)),
            WorkingHours(vet_id=vet, weekday=1, starts=time(14), ends=time(18, 0, 0, 1)),
            WorkingHours(vet_id=vet, weekday=7, starts=time(10), ends=time(11)),
        ),
        exceptions=(
            ScheduleException(
                exception_id=new_id(),
                vet_id=None,
                kind="holiday",
                first_day=date(2026, 5, 5),
                last_day=date(2026, 5, 5),
                reason="Children's Day",
            ),
            ScheduleException(
                exception_id=new_id(),
                vet_id=vet,
                kind="leave",
                first_day=date(2026, 5, 11),
                last_day=date(2026, 5, 13),
                starts=time(9),
                ends=time(12),
            ),
        ),
        version=5,
    )
    async with uow() as unit:
        await unit.clinics.apply_clinic(clinic)
        await unit.clinics.apply_service(dental)
        await unit.clinics.apply_service(checkup)
        await unit.clinics.apply_service(a_service(new_id(), new_id(), 1))  # another clinic's
        await unit.clinics.apply_schedule(schedule)
        await unit.commit()

    async with uow() as unit:
        assert await unit.clinics.clinic(clinic_id) == clinic
        assert await unit.clinics.service(dental.service_id) == dental
        services = await unit.clinics.services_of(clinic_id)
        assert sorted(services, key=lambda s: s.name) == [checkup, dental]
        assert await unit.clinics.schedule(clinic_id) == schedule
        assert await unit.clinics.clinic(new_id()) is None
        assert await unit.clinics.service(new_id()) is None
        assert await unit.clinics.services_of(new_id()) == []
        assert await unit.clinics.schedule(new_id()) is None


async def test_clinic_caches_never_go_backwards(uow: UnitOfWorkFactory) -> None:
    clinic_id, service_id = new_id(), new_id()

    def schedule(version: int) -> CachedSchedule:
        hours = WorkingHours(
            vet_id=new_id(), weekday=version % 7 + 1, starts=time(9), ends=time(17)
        )
        return CachedSchedule(
            clinic_id=clinic_id, weekly_hours=(hours,), exceptions=(), version=version
        )

    v3_schedule = schedule(3)
    async with uow() as unit:
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 3))
        await unit.clinics.apply_service(a_service(service_id, clinic_id, 3))
        await unit.clinics.apply_schedule(v3_schedule)
        await unit.commit()

    async with uow() as unit:
        # Older and same versions are ignored, also within one unit of work.
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 2))
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 3, name="same version, later"))
        await unit.clinics.apply_service(a_service(service_id, clinic_id, 1))
        await unit.clinics.apply_schedule(schedule(3))
        await unit.clinics.apply_schedule(schedule(2))
        assert await unit.clinics.clinic(clinic_id) == a_clinic(clinic_id, 3)
        await unit.commit()

    async with uow() as unit:
        assert await unit.clinics.clinic(clinic_id) == a_clinic(clinic_id, 3)
        assert await unit.clinics.service(service_id) == a_service(service_id, clinic_id, 3)
        assert await unit.clinics.schedule(clinic_id) == v3_schedule
        v3_offer = (a_clinic(clinic_id, 3), a_service(service_id, clinic_id, 3), v3_schedule)
        assert await unit.clinics.offer(clinic_id, service_id) == v3_offer
        assert await unit.clinics.offer(clinic_id, service_id) == v3_offer  # kept, the same
        assert await unit.clinics.offer(clinic_id, new_id()) == (v3_offer[0], None, v3_schedule)
        assert await unit.clinics.offer(new_id(), new_id()) == (None, None, None)

    v4_schedule = schedule(4)
    async with uow() as unit:
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 5))
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 4))
        await unit.clinics.apply_service(a_service(service_id, clinic_id, 4, active=False))
        await unit.clinics.apply_schedule(v4_schedule)
        await unit.commit()

    async with uow() as unit:
        assert await unit.clinics.clinic(clinic_id) == a_clinic(clinic_id, 5)
        assert await unit.clinics.service(service_id) == a_service(
            service_id, clinic_id, 4, active=False
        )
        assert await unit.clinics.schedule(clinic_id) == v4_schedule
        # A new version is read again, not the kept one.
        assert await unit.clinics.offer(clinic_id, service_id) == (
            a_clinic(clinic_id, 5),
            a_service(service_id, clinic_id, 4, active=False),
            v4_schedule,
        )


async def test_cache_changes_not_committed_are_discarded(uow: UnitOfWorkFactory) -> None:
    clinic_id = new_id()
    async with uow() as unit:
        await unit.clinics.apply_clinic(a_clinic(clinic_id, 1))
        await unit.rollback()
    async with uow() as unit:
        assert await unit.clinics.clinic(clinic_id) is None


# --- SQL only -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return _sql(request.getfixturevalue(fixture))


async def test_a_refused_unit_of_work_commits_nothing_until_rolled_back(
    sql_uow: UnitOfWorkFactory,
) -> None:
    """PostgreSQL aborts the transaction of the refused statement; commit says so instead
    of silently rolling back. SQLite checks before it writes, so its transaction stays
    usable and commits the rest."""
    vet = new_id()
    await add(sql_uow, a_booking(vet, at(10)))
    earlier = a_booking(vet, at(8))
    async with sql_uow() as unit:
        assert isinstance(unit, SqlBookingUnitOfWork)
        on_postgresql = unit._database.dialect_name == "postgresql"
        await unit.bookings.add(earlier)
        with pytest.raises(SlotTaken):
            await unit.bookings.add(a_booking(vet, at(10)))
        if on_postgresql:
            with pytest.raises(RuntimeError, match="roll back"):
                await unit.commit()
            await unit.rollback()
            assert await unit.bookings.get(earlier.booking_id) is None
            await unit.bookings.add(earlier)  # usable again after the rollback
        await unit.commit()
    assert await get(sql_uow, earlier.booking_id) == earlier
