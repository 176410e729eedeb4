"""The clinic cache on memory: booking's copies of clinics, services and schedules follow the
clinic context's events, never go backwards (an older version arriving late is ignored),
handle a redelivered event once, and are what bookings are checked against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from petpro_core.booking.commands import FindAvailability
from petpro_core.booking.domain.availability import Slot
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.booking.subscriptions import booking_subscription
from petpro_core.contracts.catalog import subscribed_by
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ClinicCreated,
    ClinicSnapshot,
    ClinicUpdated,
    PostalAddress,
    ScheduleException,
    ScheduleUpdated,
    ServiceCreated,
    ServiceSnapshot,
    ServiceUpdated,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import Subscription
from tests.support.booking import TOMORROW, BookingWorld

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLINIC = UUID("00000000-0000-4000-8000-00000000c11c")
SERVICE = UUID("00000000-0000-4000-8000-000000005e7c")
SCHEDULE = UUID("00000000-0000-4000-8000-00000000dead")
VET = UUID("00000000-0000-4000-8000-0000000000e7")


def clinic_event(
    event_type: type[ClinicSnapshot] = ClinicUpdated, version: int = 1, **fields: Any
) -> ClinicSnapshot:
    values: dict[str, Any] = {
        "clinic_id": CLINIC,
        "name": f"Clinic v{version}",
        "address": PostalAddress(
            lines=("1-2-3 Jingumae",),
            locality="Shibuya",
            region="Tokyo",
            postal_code="150-0001",
            country="JP",
        ),
        "phone": None,
        "email": None,
        "time_zone": "Asia/Tokyo",
        "booking_policy": BookingPolicy(),
        "staff": (StaffMember(user_id=VET, role="vet"),),
        "aggregate_version": version,
        "occurred_at": T0 + timedelta(minutes=version),
    }
    return event_type(**{**values, **fields})


def service_event(
    event_type: type[ServiceSnapshot] = ServiceUpdated, version: int = 1, **fields: Any
) -> ServiceSnapshot:
    values: dict[str, Any] = {
        "service_id": SERVICE,
        "clinic_id": CLINIC,
        "name": f"Check-up v{version}",
        "duration_minutes": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "price": Money.of("40.00", "USD"),
        "species": (),
        "vet_ids": (VET,),
        "active": True,
        "aggregate_version": version,
        "occurred_at": T0 + timedelta(minutes=version),
    }
    return event_type(**{**values, **fields})


def schedule_event(version: int = 1, *, opens: int = 9, closed: bool = False) -> ScheduleUpdated:
    exceptions = (
        (
            ScheduleException(
                exception_id=new_id(),
                vet_id=None,
                kind="closure",
                first_day=TOMORROW,
                last_day=TOMORROW,
            ),
        )
        if closed
        else ()
    )
    return ScheduleUpdated(
        schedule_id=SCHEDULE,
        clinic_id=CLINIC,
        weekly_hours=tuple(
            WorkingHours(vet_id=VET, weekday=d, starts=time(opens), ends=time(17))
            for d in range(1, 8)
        ),
        exceptions=exceptions,
        aggregate_version=version,
        occurred_at=T0 + timedelta(minutes=version),
    )


class Booking:
    """The booking subscription on a memory store, fed by a consumer loop in miniature."""

    def __init__(self) -> None:
        self.world = BookingWorld()
        self.subscription: Subscription = booking_subscription(self.world.uow)

    async def deliver(self, *batches: Sequence[Event]) -> list[UUID]:
        handled: list[UUID] = []
        for batch in batches:
            async with self.subscription.unit_of_work() as uow:
                new_ids = await uow.inbox.claim(
                    self.subscription.consumer, [event.event_id for event in batch]
                )
                for event in batch:
                    if event.event_id not in new_ids:
                        continue
                    new_ids.discard(event.event_id)
                    handler = self.subscription.handler_for(event)
                    assert handler is not None, f"booking does not handle {event.NAME}"
                    await handler(event, uow)
                    handled.append(event.event_id)
                await uow.commit()
        return handled

    async def clinic(self) -> CachedClinic | None:
        async with self.world.uow() as uow:
            return await uow.clinics.clinic(CLINIC)

    async def service(self) -> CachedService | None:
        async with self.world.uow() as uow:
            return await uow.clinics.service(SERVICE)

    async def schedule(self) -> CachedSchedule | None:
        async with self.world.uow() as uow:
            return await uow.clinics.schedule(CLINIC)


@pytest.fixture
def booking() -> Booking:
    return Booking()


def test_booking_consumes_the_clinic_events_the_catalog_routes_to_it() -> None:
    names = set(Booking().subscription.event_names)
    clinic_events = {
        "clinic.created",
        "clinic.updated",
        "service.created",
        "service.updated",
        "schedule.updated",
    }
    assert clinic_events <= names
    assert names <= {e.name for e in subscribed_by("booking")}


async def test_a_clinic_its_service_and_schedule_are_cached(booking: Booking) -> None:
    clinic = clinic_event(ClinicCreated, 1)
    service = service_event(ServiceCreated, 1)
    schedule = schedule_event(1)

    await booking.deliver([clinic, service, schedule])

    assert await booking.clinic() == CachedClinic(
        clinic_id=CLINIC,
        name="Clinic v1",
        time_zone="Asia/Tokyo",
        policy=BookingPolicy(),
        staff=(StaffMember(user_id=VET, role="vet"),),
        version=1,
    )
    assert await booking.service() == CachedService(
        service_id=SERVICE,
        clinic_id=CLINIC,
        name="Check-up v1",
        duration_minutes=30,
        buffer_before_minutes=0,
        buffer_after_minutes=0,
        price=Money.of("40.00", "USD"),
        species=(),
        vet_ids=(VET,),
        active=True,
        version=1,
    )
    assert await booking.schedule() == CachedSchedule(
        clinic_id=CLINIC,
        weekly_hours=schedule.weekly_hours,
        exceptions=(),
        version=1,
    )
    cached_service = await booking.service()
    async with booking.world.uow() as uow:
        assert await uow.clinics.services_of(CLINIC) == [cached_service]


async def test_older_versions_arriving_late_are_ignored(booking: Booking) -> None:
    # Across batches: the newest first, then older ones.
    await booking.deliver(
        [clinic_event(version=3), service_event(version=3), schedule_event(3, opens=10)],
        [clinic_event(ClinicCreated, 1), service_event(version=2, active=False)],
        [schedule_event(2, opens=8), schedule_event(1)],
    )
    # Within one batch, out of order.
    await booking.deliver([clinic_event(version=5, name="Five"), clinic_event(version=4)])

    clinic, service, schedule = (
        await booking.clinic(),
        await booking.service(),
        await booking.schedule(),
    )
    assert clinic is not None and (clinic.name, clinic.version) == ("Five", 5)
    assert service is not None and (service.name, service.active, service.version) == (
        "Check-up v3",
        True,
        3,
    )
    assert schedule is not None and schedule.version == 3
    assert {h.starts for h in schedule.weekly_hours} == {time(10)}


async def test_an_equal_version_does_not_replace_the_entry(booking: Booking) -> None:
    await booking.deliver([clinic_event(version=2, name="First")])
    await booking.deliver([clinic_event(version=2, name="Second")])

    clinic = await booking.clinic()
    assert clinic is not None and clinic.name == "First"


async def test_a_redelivered_event_is_handled_once(booking: Booking) -> None:
    created = service_event(ServiceCreated, 1)
    updated = service_event(version=2, name="Renamed")

    handled = await booking.deliver([created, created, updated], [updated, created])

    assert handled == [created.event_id, updated.event_id]
    service = await booking.service()
    assert service is not None and service.name == "Renamed"


async def test_bookings_follow_the_cached_schedule(booking: Booking) -> None:
    await booking.deliver([clinic_event(ClinicCreated, 1), service_event(ServiceCreated, 1)])
    await booking.deliver([schedule_event(1)])
    world = booking.world
    window: dict[str, Any] = {
        "clinic_id": CLINIC,
        "service_id": SERVICE,
        "window_start": datetime(2026, 3, 3, 0, 0, tzinfo=UTC),  # 09:00 in Tokyo
        "window_end": datetime(2026, 3, 3, 1, 0, tzinfo=UTC),
    }
    open_slots: list[Slot] = (await world.bus.execute(FindAvailability(**window))).slots
    assert len(open_slots) == 4

    await booking.deliver([schedule_event(2, closed=True)], [schedule_event(1)])

    assert (await world.bus.execute(FindAvailability(**window))).slots == []
    assert world.clinics.calls == 0  # the cache answered
