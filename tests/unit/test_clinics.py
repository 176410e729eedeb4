"""The clinic context on memory, through the bus: who may do what, input validation, and
the snapshots each change records (whole, at the aggregate's new version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from adapters.codec.events import decode_payload, encode_payload
from adapters.memory.clinic import ClinicState, InMemoryClinicUnitOfWork, in_memory_clinic_store
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.clinic.commands import (
    AddressInput,
    AddScheduleException,
    AddService,
    AssignStaff,
    CreateClinic,
    GetClinic,
    GetSchedule,
    GetService,
    HoursInput,
    ListClinics,
    ListServices,
    PolicyInput,
    PriceInput,
    RemoveScheduleException,
    RemoveStaff,
    SetVetHours,
    StaffClinics,
    UpdateClinic,
    UpdateService,
)
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.errors import (
    AdminOnly,
    ClinicNotFound,
    NotClinicStaff,
    OverlappingHours,
    RoleNotHeld,
    ScheduleExceptionNotFound,
    ServiceNotFound,
    StaffMemberNotFound,
    StaffUserNotFound,
    VetNotOnStaff,
)
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.clinic.handlers import ClinicDependencies, ClinicHandlers
from petpro_core.contracts.catalog import resolve
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ClinicCreated,
    ClinicUpdated,
    PostalAddress,
    ScheduleUpdated,
    ServiceCreated,
    ServiceUpdated,
    StaffMember,
)
from petpro_core.shared.actors import OPERATOR_ACTOR, Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import Command, MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # Monday 09:30 in Tokyo
TOKYO = AddressInput(lines=("1-2-3 Shibuya",), locality="Shibuya", region="Tokyo", country="jp")
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
STRANGER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))


class FakeStaffDirectory:
    """Users and their roles, as auth would answer."""

    def __init__(self) -> None:
        self.users: dict[UUID, frozenset[str]] = {}

    def add(self, *roles: str) -> Actor:
        actor = Actor(user_id=new_id(), roles=frozenset(roles))
        self.users[actor.user_id] = actor.roles
        return actor

    async def roles_of(self, user_id: UUID) -> frozenset[str] | None:
        return self.users.get(user_id)


@dataclass
class Harness:
    bus: MessageBus
    store: InMemoryStore[ClinicState]
    clock: FixedClock
    directory: FakeStaffDirectory
    seen: int = field(default=0)

    async def __call__(self, command: Command) -> Any:
        return await self.bus.execute(command)

    def new_events(self) -> list[Event]:
        """The events committed since the last call."""
        events, self.seen = self.store.outbox[self.seen :], len(self.store.outbox)
        return events

    async def clinic(self, **fields: Any) -> Clinic:
        values: dict[str, Any] = {
            "name": "Shibuya Animal Clinic",
            "address": TOKYO,
            "time_zone": "Asia/Tokyo",
        }
        values.update(fields)
        clinic: Clinic = await self(CreateClinic(actor=ADMIN, **values))
        return clinic

    async def staff(self, clinic: Clinic, role: str) -> Actor:
        member = self.directory.add(role)
        await self(
            AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=member.user_id, role=role)
        )
        return member

    async def service(self, clinic: Clinic, *vets: Actor, **fields: Any) -> Service:
        values: dict[str, Any] = {
            "name": "Vaccination",
            "duration_minutes": 30,
            "price": PriceInput(amount="6600", currency="JPY"),
            "vet_ids": tuple(v.user_id for v in vets),
        }
        values.update(fields)
        service: Service = await self(AddService(actor=ADMIN, clinic_id=clinic.clinic_id, **values))
        return service


@pytest.fixture
def h() -> Harness:
    store = in_memory_clinic_store()
    clock = FixedClock(T0)
    directory = FakeStaffDirectory()
    bus = MessageBus()
    deps = ClinicDependencies(
        uow=lambda: InMemoryClinicUnitOfWork(store), staff=directory, clock=clock
    )
    ClinicHandlers(deps).register(bus)
    return Harness(bus=bus, store=store, clock=clock, directory=directory)


def hours(*spans: tuple[int, str, str]) -> tuple[HoursInput, ...]:
    return tuple(
        HoursInput(weekday=d, starts=time.fromisoformat(a), ends=time.fromisoformat(b))
        for d, a, b in spans
    )


def kinds(events: list[Event]) -> list[tuple[str, int]]:
    return [(e.NAME, e.aggregate_version) for e in events]


# -- clinics ----------------------------------------------------------------------------------


async def test_an_admin_opens_a_clinic_with_its_schedule(h: Harness) -> None:
    clinic = await h.clinic(phone="+81 3-1234-5678", email="desk@shibuya.example")
    assert clinic.version == 1 and clinic.staff == () and clinic.policy == BookingPolicy()
    assert clinic.address == PostalAddress(
        lines=("1-2-3 Shibuya",), locality="Shibuya", region="Tokyo", postal_code=None, country="JP"
    )
    created, schedule = h.new_events()
    assert isinstance(created, ClinicCreated) and created.aggregate_version == 1
    assert created.clinic_id == clinic.clinic_id and created.time_zone == "Asia/Tokyo"
    assert created.phone == "+81 3-1234-5678" and created.email == "desk@shibuya.example"
    assert isinstance(schedule, ScheduleUpdated) and schedule.aggregate_version == 1
    assert schedule.schedule_id == clinic.schedule_id != clinic.clinic_id
    assert schedule.clinic_id == clinic.clinic_id and schedule.weekly_hours == ()
    assert await h(GetClinic(clinic_id=clinic.clinic_id)) == clinic


async def test_only_admins_open_clinics(h: Harness) -> None:
    vet = h.directory.add("vet", "clinic_staff")
    for actor in (STRANGER, vet):
        with pytest.raises(AdminOnly):
            await h(CreateClinic(actor=actor, name="X", address=TOKYO, time_zone="Asia/Tokyo"))
    assert h.new_events() == []


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"name": "   "}, "name"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "Asia"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"address": AddressInput(lines=(), locality="Shibuya", country="JP")}, "address.lines"),
        (
            {"address": AddressInput(lines=("x",), locality="Shibuya", country="JPN")},
            "address.country",
        ),
        ({"address": AddressInput(lines=("x",), locality=" ", country="JP")}, "address.locality"),
        ({"booking_policy": PolicyInput(slot_minutes=2)}, "booking_policy.slot_minutes"),
        (
            {"booking_policy": PolicyInput(late_refund_percent=101)},
            "booking_policy.late_refund_percent",
        ),
        ({"booking_policy": PolicyInput(horizon_days=0)}, "booking_policy.horizon_days"),
    ],
)
async def test_clinic_input_is_validated(
    h: Harness, fields: dict[str, Any], field_name: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await h.clinic(**fields)
    assert raised.value.extra["field"] == field_name
    assert h.new_events() == []


async def test_clinic_staff_update_the_profile_and_policy_partially(h: Harness) -> None:
    clinic = await h.clinic(booking_policy=PolicyInput(slot_minutes=20))
    manager = await h.staff(clinic, "clinic_staff")
    h.new_events()

    changed = await h(
        UpdateClinic(
            actor=manager,
            clinic_id=clinic.clinic_id,
            phone="03-0000-0000",
            booking_policy=PolicyInput(min_notice_minutes=120),
        )
    )
    assert changed.version == 3  # created, staff assigned, this
    assert changed.policy == BookingPolicy(min_notice_minutes=120, slot_minutes=20)
    assert changed.name == clinic.name and changed.phone == "03-0000-0000"
    [event] = h.new_events()
    assert isinstance(event, ClinicUpdated) and event.aggregate_version == 3
    assert event.booking_policy == changed.policy and event.staff == changed.staff

    cleared = await h(UpdateClinic(actor=ADMIN, clinic_id=clinic.clinic_id, phone=None))
    assert cleared.phone is None and cleared.version == 4
    # The same values again change nothing and publish nothing.
    same = await h(UpdateClinic(actor=ADMIN, clinic_id=clinic.clinic_id, name=clinic.name))
    assert same.version == 4
    assert kinds(h.new_events()) == [("clinic.updated", 4)]


async def test_who_may_update_a_clinic(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    other = await h.clinic(name="Other")
    other_manager = await h.staff(other, "clinic_staff")
    h.new_events()
    for actor in (vet, STRANGER, other_manager):
        with pytest.raises(PermissionDenied):
            await h(UpdateClinic(actor=actor, clinic_id=clinic.clinic_id, name="Mine now"))
    with pytest.raises(ClinicNotFound):
        await h(UpdateClinic(actor=STRANGER, clinic_id=new_id(), name="Nowhere"))
    with pytest.raises(InvalidInput):
        await h(UpdateClinic(actor=ADMIN, clinic_id=clinic.clinic_id, time_zone="Nowhere/Land"))
    assert h.new_events() == []


async def test_list_clinics_pages_in_creation_order(h: Harness) -> None:
    names = [f"Clinic {n}" for n in range(5)]
    for name in names:
        await h.clinic(name=name)
        h.clock.advance(timedelta(seconds=1))
    page = await h(ListClinics(page=PageRequest(limit=2, offset=1)))
    assert [c.name for c in page.items] == names[1:3]
    assert (page.total, page.limit, page.offset) == (5, 2, 1)


# -- staff ------------------------------------------------------------------------------------


async def test_admins_assign_staff_who_hold_the_role(h: Harness) -> None:
    clinic = await h.clinic()
    h.new_events()
    vet = h.directory.add("vet")
    changed = await h(
        AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id, role="vet")
    )
    assert changed.staff == (StaffMember(user_id=vet.user_id, role="vet"),)
    [event] = h.new_events()
    assert isinstance(event, ClinicUpdated) and event.aggregate_version == 2
    assert event.staff == changed.staff
    # Assigning the same role again is a no-op.
    again = await h(
        AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id, role="vet")
    )
    assert again.version == 2 and h.new_events() == []

    with pytest.raises(RoleNotHeld):
        await h(
            AssignStaff(
                actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id, role="clinic_staff"
            )
        )
    with pytest.raises(StaffUserNotFound):
        await h(AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=new_id(), role="vet"))
    with pytest.raises(InvalidInput):
        await h(
            AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id, role="admin")
        )
    manager = await h.staff(clinic, "clinic_staff")
    h.new_events()
    with pytest.raises(AdminOnly):
        await h(
            AssignStaff(
                actor=manager, clinic_id=clinic.clinic_id, user_id=manager.user_id, role="vet"
            )
        )
    with pytest.raises(ClinicNotFound):
        await h(AssignStaff(actor=STRANGER, clinic_id=new_id(), user_id=vet.user_id, role="vet"))
    assert h.new_events() == []


async def test_removing_a_vet_takes_them_off_services_and_the_schedule(h: Harness) -> None:
    clinic = await h.clinic()
    vet, colleague = await h.staff(clinic, "vet"), await h.staff(clinic, "vet")
    both = await h.service(clinic, vet, colleague)
    mine = await h.service(clinic, vet, name="Dental")
    theirs = await h.service(clinic, colleague, name="Surgery")
    await h(
        SetVetHours(
            actor=ADMIN,
            clinic_id=clinic.clinic_id,
            vet_id=vet.user_id,
            hours=hours((1, "09:00", "12:00")),
        )
    )
    await h(
        SetVetHours(
            actor=ADMIN,
            clinic_id=clinic.clinic_id,
            vet_id=colleague.user_id,
            hours=hours((2, "10:00", "16:00")),
        )
    )
    await h(
        AddScheduleException(
            actor=vet,
            clinic_id=clinic.clinic_id,
            vet_id=vet.user_id,
            kind="leave",
            first_day=date(2026, 3, 9),
            last_day=date(2026, 3, 13),
        )
    )
    h.new_events()

    removed = await h(RemoveStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id))

    assert removed.staff == (StaffMember(user_id=colleague.user_id, role="vet"),)
    events = h.new_events()
    assert kinds(events) == [
        ("clinic.updated", 4),
        ("service.updated", 2),
        ("service.updated", 2),
        ("schedule.updated", 5),
    ]
    updated = {e.service_id: e for e in events if isinstance(e, ServiceUpdated)}
    assert updated[both.service_id].vet_ids == (colleague.user_id,)
    assert updated[mine.service_id].vet_ids == ()
    assert theirs.service_id not in updated
    schedule = events[-1]
    assert isinstance(schedule, ScheduleUpdated) and schedule.exceptions == ()
    assert {h.vet_id for h in schedule.weekly_hours} == {colleague.user_id}
    assert await h(StaffClinics(user_id=vet.user_id)) == []

    with pytest.raises(StaffMemberNotFound):
        await h(RemoveStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=vet.user_id))
    manager = await h.staff(clinic, "clinic_staff")
    with pytest.raises(AdminOnly):
        await h(RemoveStaff(actor=manager, clinic_id=clinic.clinic_id, user_id=colleague.user_id))


async def test_a_vet_who_becomes_clinic_staff_stops_performing_services(h: Harness) -> None:
    clinic = await h.clinic()
    user = h.directory.add("vet", "clinic_staff")
    await h(AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=user.user_id, role="vet"))
    await h.service(clinic, user)
    h.new_events()
    changed = await h(
        AssignStaff(
            actor=ADMIN, clinic_id=clinic.clinic_id, user_id=user.user_id, role="clinic_staff"
        )
    )
    assert changed.role_of(user.user_id) == "clinic_staff"
    assert kinds(h.new_events()) == [("clinic.updated", 3), ("service.updated", 2)]


async def test_staff_clinics_lists_where_a_user_works(h: Harness) -> None:
    clinics = []
    for name in "ABC":
        clinics.append(await h.clinic(name=name))
        h.clock.advance(timedelta(seconds=1))
    first, second, _ = clinics
    user = h.directory.add("vet", "clinic_staff")
    for clinic, role in ((first, "vet"), (second, "clinic_staff")):
        await h(
            AssignStaff(actor=ADMIN, clinic_id=clinic.clinic_id, user_id=user.user_id, role=role)
        )
    found = await h(StaffClinics(user_id=user.user_id))
    assert [c.name for c in found] == ["A", "B"]


# -- services ---------------------------------------------------------------------------------


async def test_staff_add_and_change_services(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    h.new_events()
    service = await h(
        AddService(
            actor=vet,
            clinic_id=clinic.clinic_id,
            name="Vaccination",
            duration_minutes=30,
            buffer_before_minutes=5,
            buffer_after_minutes=10,
            price=PriceInput(amount="6600", currency="jpy"),
            species=("Dog", "cat", "dog"),
            vet_ids=(vet.user_id,),
        )
    )
    assert service.price == Money(Decimal(6600), "JPY") and service.species == ("dog", "cat")
    [created] = h.new_events()
    assert isinstance(created, ServiceCreated) and created.aggregate_version == 1
    assert created.buffer_before_minutes == 5 and created.buffer_after_minutes == 10
    assert created.vet_ids == (vet.user_id,) and created.active

    withdrawn = await h(
        UpdateService(
            actor=vet,
            clinic_id=clinic.clinic_id,
            service_id=service.service_id,
            active=False,
            price=Money.of("7000", "JPY"),
        )
    )
    assert withdrawn.version == 2 and not withdrawn.active
    [updated] = h.new_events()
    assert isinstance(updated, ServiceUpdated) and updated.aggregate_version == 2
    assert updated.price == Money.of("7000", "JPY") and not updated.active

    assert await h(ListServices(clinic_id=clinic.clinic_id)) == []
    assert await h(ListServices(clinic_id=clinic.clinic_id, include_inactive=True)) == [withdrawn]
    assert await h(GetService(service_id=service.service_id)) == withdrawn
    with pytest.raises(ServiceNotFound):
        await h(GetService(service_id=service.service_id, clinic_id=new_id()))
    with pytest.raises(ClinicNotFound):
        await h(ListServices(clinic_id=new_id()))


async def test_who_may_manage_services(h: Harness) -> None:
    clinic = await h.clinic()
    other = await h.clinic(name="Other")
    other_vet = await h.staff(other, "vet")
    service = await h.service(clinic)
    h.new_events()
    for actor in (STRANGER, other_vet):
        with pytest.raises(NotClinicStaff):
            await h(
                AddService(
                    actor=actor,
                    clinic_id=clinic.clinic_id,
                    name="X",
                    duration_minutes=30,
                    price=Money.of(100, "JPY"),
                )
            )
        with pytest.raises(NotClinicStaff):
            await h(
                UpdateService(
                    actor=actor, clinic_id=clinic.clinic_id, service_id=service.service_id, name="Y"
                )
            )
    with pytest.raises(ClinicNotFound):
        await h(
            UpdateService(
                actor=STRANGER, clinic_id=new_id(), service_id=service.service_id, name="Y"
            )
        )
    # A service of another clinic is not found through this one.
    with pytest.raises(ServiceNotFound):
        await h(
            UpdateService(
                actor=ADMIN, clinic_id=other.clinic_id, service_id=service.service_id, name="Y"
            )
        )
    assert h.new_events() == []


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"name": ""}, "name"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"buffer_before_minutes": -1}, "buffer_before_minutes"),
        ({"buffer_after_minutes": 241}, "buffer_after_minutes"),
        ({"price": PriceInput(amount="0", currency="JPY")}, "price.amount"),
        ({"price": PriceInput(amount="-5", currency="USD")}, "price.amount"),
        ({"price": PriceInput(amount="12.5", currency="JPY")}, "price.amount"),
        ({"price": PriceInput(amount="lots", currency="JPY")}, "price.amount"),
        ({"price": PriceInput(amount="10", currency="XXX")}, "price.currency"),
        ({"species": ("dog!",)}, "species"),
    ],
)
async def test_service_input_is_validated(
    h: Harness, fields: dict[str, Any], field_name: str
) -> None:
    clinic = await h.clinic()
    h.new_events()
    with pytest.raises(InvalidInput) as raised:
        await h.service(clinic, **fields)
    assert raised.value.extra["field"] == field_name
    assert h.new_events() == []


async def test_a_service_is_performed_by_the_clinics_vets(h: Harness) -> None:
    clinic = await h.clinic()
    manager = await h.staff(clinic, "clinic_staff")
    other = await h.clinic(name="Other")
    other_vet = await h.staff(other, "vet")
    for stranger in (manager, other_vet, STRANGER):
        with pytest.raises(VetNotOnStaff):
            await h.service(clinic, stranger)


# -- schedules --------------------------------------------------------------------------------


async def test_set_a_vets_weekly_hours(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    h.new_events()
    week = hours((1, "14:00", "18:00"), (1, "09:00", "12:30"), (3, "09:00", "12:00"))
    schedule = await h(
        SetVetHours(actor=vet, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=week)
    )
    assert schedule.version == 2
    assert [(w.weekday, w.starts.isoformat("minutes")) for w in schedule.weekly_hours] == [
        (1, "09:00"),
        (1, "14:00"),
        (3, "09:00"),
    ]
    [event] = h.new_events()
    assert isinstance(event, ScheduleUpdated) and event.aggregate_version == 2
    assert event.weekly_hours == schedule.weekly_hours
    assert await h(GetSchedule(clinic_id=clinic.clinic_id)) == schedule

    # The same hours again: nothing changes. Adjacent intervals are fine.
    await h(SetVetHours(actor=vet, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=week))
    assert h.new_events() == []
    adjacent = hours((1, "09:00", "12:00"), (1, "12:00", "13:00"))
    await h(
        SetVetHours(actor=ADMIN, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=adjacent)
    )
    assert kinds(h.new_events()) == [("schedule.updated", 3)]
    cleared = await h(
        SetVetHours(actor=ADMIN, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=())
    )
    assert cleared.weekly_hours == ()


async def test_hours_are_validated(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    h.new_events()

    async def set_hours(*spans: tuple[int, str, str]) -> None:
        await h(
            SetVetHours(
                actor=ADMIN, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=hours(*spans)
            )
        )

    with pytest.raises(OverlappingHours, match="on mon, 09:00-12:00 overlaps 11:30-13:00"):
        await set_hours((1, "09:00", "12:00"), (1, "11:30", "13:00"))
    with pytest.raises(InvalidInput, match="not after"):
        await set_hours((2, "12:00", "09:00"))
    with pytest.raises(InvalidInput, match="weekday"):
        await set_hours((8, "09:00", "10:00"))
    with pytest.raises(InvalidInput):
        await h(
            SetVetHours(
                actor=ADMIN,
                clinic_id=clinic.clinic_id,
                vet_id=vet.user_id,
                hours=(HoursInput(weekday=1, starts=time(9, tzinfo=UTC), ends=time(10)),),
            )
        )
    assert h.new_events() == []


async def test_who_may_set_hours(h: Harness) -> None:
    clinic = await h.clinic()
    vet, colleague = await h.staff(clinic, "vet"), await h.staff(clinic, "vet")
    manager = await h.staff(clinic, "clinic_staff")
    week = hours((1, "09:00", "12:00"))
    with pytest.raises(NotClinicStaff):
        await h(
            SetVetHours(actor=vet, clinic_id=clinic.clinic_id, vet_id=colleague.user_id, hours=week)
        )
    with pytest.raises(NotClinicStaff):
        await h(
            SetVetHours(actor=STRANGER, clinic_id=clinic.clinic_id, vet_id=vet.user_id, hours=week)
        )
    with pytest.raises(ClinicNotFound):
        await h(SetVetHours(actor=STRANGER, clinic_id=new_id(), vet_id=vet.user_id, hours=week))
    with pytest.raises(VetNotOnStaff):
        await h(
            SetVetHours(actor=ADMIN, clinic_id=clinic.clinic_id, vet_id=manager.user_id, hours=week)
        )
    await h(
        SetVetHours(actor=manager, clinic_id=clinic.clinic_id, vet_id=colleague.user_id, hours=week)
    )


async def test_exceptions_are_published_until_they_end(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    manager = await h.staff(clinic, "clinic_staff")
    h.new_events()
    holiday = await h(
        AddScheduleException(
            actor=manager,
            clinic_id=clinic.clinic_id,
            kind="holiday",
            first_day=date(2026, 3, 20),
            last_day=date(2026, 3, 20),
            reason="Vernal Equinox Day",
        )
    )
    leave = await h(
        AddScheduleException(
            actor=vet,
            clinic_id=clinic.clinic_id,
            vet_id=vet.user_id,
            kind="leave",
            first_day=date(2026, 3, 3),
            last_day=date(2026, 3, 3),
            starts=time(13),
            ends=time(17),
        )
    )
    events = h.new_events()
    assert kinds(events) == [("schedule.updated", 2), ("schedule.updated", 3)]
    last = events[-1]
    assert isinstance(last, ScheduleUpdated)
    assert last.exceptions == (leave, holiday)  # by first day

    # Tokyo's 4 March: the leave has ended, the holiday not.
    h.clock.advance(timedelta(days=2))
    schedule: Schedule = await h(GetSchedule(clinic_id=clinic.clinic_id))
    assert schedule.exceptions == (holiday,)
    removed = await h(
        RemoveScheduleException(
            actor=manager, clinic_id=clinic.clinic_id, exception_id=holiday.exception_id
        )
    )
    assert removed.exceptions == () and removed.version == 4
    [event] = h.new_events()
    assert isinstance(event, ScheduleUpdated) and event.exceptions == ()
    with pytest.raises(ScheduleExceptionNotFound):
        await h(
            RemoveScheduleException(
                actor=manager, clinic_id=clinic.clinic_id, exception_id=holiday.exception_id
            )
        )


async def test_exception_rules(h: Harness) -> None:
    clinic = await h.clinic()
    vet, colleague = await h.staff(clinic, "vet"), await h.staff(clinic, "vet")
    h.new_events()
    day = date(2026, 4, 1)

    async def add(actor: Actor, **fields: Any) -> Any:
        values: dict[str, Any] = {"kind": "closure", "first_day": day, "last_day": day}
        values.update(fields)
        return await h(AddScheduleException(actor=actor, clinic_id=clinic.clinic_id, **values))

    with pytest.raises(NotClinicStaff):
        await add(vet)  # clinic-wide: managers only
    with pytest.raises(NotClinicStaff):
        await add(vet, kind="leave", vet_id=colleague.user_id)
    with pytest.raises(InvalidInput, match="leave is a vet's"):
        await add(ADMIN, kind="leave")
    with pytest.raises(InvalidInput, match="leave is a vet's"):
        await add(ADMIN, vet_id=vet.user_id)
    with pytest.raises(InvalidInput, match="kind"):
        await add(ADMIN, kind="party")
    with pytest.raises(InvalidInput, match="not before"):
        await add(ADMIN, last_day=date(2026, 3, 31))
    with pytest.raises(InvalidInput, match="already have ended"):
        await add(ADMIN, first_day=date(2026, 3, 1), last_day=date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="both"):
        await add(ADMIN, starts=time(9))
    with pytest.raises(InvalidInput, match="end after"):
        await add(ADMIN, starts=time(9), ends=time(8))
    with pytest.raises(VetNotOnStaff):
        await add(ADMIN, kind="leave", vet_id=new_id())
    assert h.new_events() == []

    leave = await add(vet, kind="leave", vet_id=vet.user_id)
    with pytest.raises(NotClinicStaff):
        await h(
            RemoveScheduleException(
                actor=colleague, clinic_id=clinic.clinic_id, exception_id=leave.exception_id
            )
        )
    await h(
        RemoveScheduleException(
            actor=vet, clinic_id=clinic.clinic_id, exception_id=leave.exception_id
        )
    )


# -- the published language -------------------------------------------------------------------


async def test_recorded_events_round_trip_through_the_codec(h: Harness) -> None:
    clinic = await h.clinic()
    vet = await h.staff(clinic, "vet")
    await h.service(clinic, vet)
    await h(
        SetVetHours(
            actor=vet,
            clinic_id=clinic.clinic_id,
            vet_id=vet.user_id,
            hours=hours((5, "09:00", "17:30")),
        )
    )
    for event in h.new_events():
        event_type, payload = resolve(event.type_name(), encode_payload(event))
        assert decode_payload(event_type, payload) == event


def test_a_clinic_v1_payload_upcasts_to_v2() -> None:
    clinic_id = new_id()
    v1 = {
        "event_id": str(new_id()),
        "occurred_at": "2026-03-01T09:00:00Z",
        "aggregate_version": 3,
        "clinic_id": str(clinic_id),
        "name": "Shibuya Animal Clinic",
        "address": {
            "lines": ["1-2-3 Shibuya"],
            "locality": "Shibuya",
            "region": None,
            "postal_code": None,
            "country": "JP",
        },
        "phone": None,
        "email": None,
        "time_zone": "Asia/Tokyo",
    }
    for name, current in (("created", ClinicCreated), ("updated", ClinicUpdated)):
        event_type, payload = resolve(f"petpro.clinic.{name}.v1", v1)
        assert event_type is current
        event = decode_payload(event_type, payload)
        assert isinstance(event, current)
        assert event.booking_policy == BookingPolicy() and event.staff == ()
        assert event.clinic_id == clinic_id and event.aggregate_version == 3


async def test_operator_acts_as_admin(h: Harness) -> None:
    clinic = await h(
        CreateClinic(actor=OPERATOR_ACTOR, name="Ops", address=TOKYO, time_zone="Europe/Berlin")
    )
    assert clinic.time_zone == "Europe/Berlin"
