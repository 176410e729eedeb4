"""Contract of the clinic ports (repositories, unit of work with its outbox), run against
every adapter; and the clinic context's migrations (up, down, the metadata, the trigger).

The in-memory adapter is the reference: SQL must store and answer the same aggregates,
refuse a stale save the same way, and commit events with the change or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from adapters.memory.clinic import InMemoryClinicUnitOfWork, in_memory_clinic_store
from adapters.sql import migrate
from adapters.sql.clinic import tables as clinic_tables
from adapters.sql.clinic.unit_of_work import SqlClinicUnitOfWork
from adapters.sql.database import SqlDatabase, sqlite_url_in
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.errors import ConcurrentClinicUpdate
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.clinic.ports import ClinicUnitOfWork
from petpro_core.contracts.clinic import (
    BookingPolicy,
    PostalAddress,
    ScheduleException,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest
from tests.support.servers import fresh_postgres_database

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
ADDRESS = PostalAddress(
    lines=("1-2-3 Shibuya", "2F"),
    locality="Shibuya",
    region="Tokyo",
    postal_code="150-0002",
    country="JP",
)

UnitOfWorkFactory = Callable[[], ClinicUnitOfWork]


def _memory() -> UnitOfWorkFactory:
    store = in_memory_clinic_store()
    return lambda: InMemoryClinicUnitOfWork(store)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """A zero-arg factory of fresh units of work on one store (memory, SQLite, PostgreSQL)."""
    if request.param == "memory":
        return _memory()
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return lambda: SqlClinicUnitOfWork(database)


def a_clinic(minutes: int = 0, **fields: Any) -> Clinic:
    now = T0 + timedelta(minutes=minutes)
    values: dict[str, Any] = {
        "clinic_id": new_id(),
        "name": "Shibuya Animal Clinic",
        "address": ADDRESS,
        "phone": "+81 3-1234-5678",
        "email": None,
        "time_zone": "Asia/Tokyo",
        "policy": BookingPolicy(min_notice_minutes=90, slot_minutes=20),
        "staff": (),
        "schedule_id": new_id(),
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    return Clinic(**values)


def a_service(clinic: Clinic, minutes: int = 0, **fields: Any) -> Service:
    now = T0 + timedelta(minutes=minutes)
    values: dict[str, Any] = {
        "service_id": new_id(),
        "clinic_id": clinic.clinic_id,
        "name": "Vaccination",
        "duration_minutes": 30,
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "price": Money(Decimal("49.90"), "EUR"),
        "species": ("dog", "cat"),
        "vet_ids": (),
        "active": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    return Service(**values)


async def add_clinic(uow: UnitOfWorkFactory, clinic: Clinic) -> Schedule:
    schedule = Schedule.empty(schedule_id=clinic.schedule_id, clinic_id=clinic.clinic_id, now=T0)
    async with uow() as unit:
        await unit.clinics.add(clinic)
        await unit.schedules.add(schedule)
        await unit.commit()
    return schedule


async def test_a_clinic_round_trips_with_its_staff_in_order(uow: UnitOfWorkFactory) -> None:
    vet, manager = new_id(), new_id()
    clinic = a_clinic(
        staff=(
            StaffMember(user_id=vet, role="vet"),
            StaffMember(user_id=manager, role="clinic_staff"),
        )
    )
    await add_clinic(uow, clinic)
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) == clinic
        assert await unit.clinics.get(new_id()) is None

    changed = replace(
        clinic,
        name="Shibuya Vets",
        email="desk@example.com",
        staff=(StaffMember(user_id=manager, role="vet"),),
        policy=BookingPolicy(late_refund_percent=0),
        updated_at=T0 + timedelta(hours=1),
        version=2,
    )
    async with uow() as unit:
        await unit.clinics.save(changed)
        await unit.commit()
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) == changed
        assert await unit.clinics.with_staff_member(vet) == []
        assert await unit.clinics.with_staff_member(manager) == [changed]


async def test_a_stale_save_is_refused(uow: UnitOfWorkFactory) -> None:
    clinic = a_clinic()
    schedule = await add_clinic(uow, clinic)
    service = a_service(clinic)
    async with uow() as unit:
        await unit.services.add(service)
        await unit.commit()
    stale: list[tuple[str, Any]] = [
        ("clinics", replace(clinic, version=3)),
        ("clinics", replace(a_clinic(), version=2)),  # never added
        ("services", replace(service, version=1)),
        ("services", replace(a_service(clinic), version=2)),
        ("schedules", replace(schedule, version=1)),
    ]
    for repository, aggregate in stale:
        async with uow() as unit:
            with pytest.raises(ConcurrentClinicUpdate):
                await getattr(unit, repository).save(aggregate)
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) == clinic


async def test_clinics_page_in_creation_order(uow: UnitOfWorkFactory) -> None:
    clinics = [a_clinic(minutes=n, name=f"Clinic {n}") for n in range(5)]
    for clinic in reversed(clinics):
        await add_clinic(uow, clinic)
    async with uow() as unit:
        items, total = await unit.clinics.list(PageRequest(limit=2, offset=1))
        assert total == 5 and list(items) == clinics[1:3]
        items, total = await unit.clinics.list(PageRequest(limit=10, offset=5))
        assert total == 5 and list(items) == []


async def test_services_round_trip_and_filter_by_active(uow: UnitOfWorkFactory) -> None:
    clinic, other = a_clinic(), a_clinic()
    await add_clinic(uow, clinic)
    await add_clinic(uow, other)
    vets = (new_id(), new_id())
    first = a_service(clinic, vet_ids=vets)
    second = a_service(clinic, minutes=1, name="Dental", price=Money.of(6600, "JPY"), species=())
    elsewhere = a_service(other)
    async with uow() as unit:
        for service in (second, first, elsewhere):
            await unit.services.add(service)
        await unit.commit()
    withdrawn = replace(second, active=False, vet_ids=vets[1:], version=2)
    async with uow() as unit:
        await unit.services.save(withdrawn)
        await unit.commit()
    async with uow() as unit:
        assert await unit.services.get(first.service_id) == first
        assert await unit.services.get(new_id()) is None
        assert await unit.services.of_clinic(clinic.clinic_id, include_inactive=False) == [first]
        assert await unit.services.of_clinic(clinic.clinic_id, include_inactive=True) == [
            first,
            withdrawn,
        ]


async def test_a_schedule_round_trips_in_its_order(uow: UnitOfWorkFactory) -> None:
    clinic = a_clinic()
    schedule = await add_clinic(uow, clinic)
    vet_a, vet_b = sorted((new_id(), new_id()), key=str)
    intervals = [
        WorkingHours(vet_id=vet_b, weekday=1, starts=time(9), ends=time(12, 30)),
        WorkingHours(vet_id=vet_a, weekday=5, starts=time(14), ends=time(18)),
        WorkingHours(vet_id=vet_a, weekday=1, starts=time(14), ends=time(18)),
        WorkingHours(vet_id=vet_a, weekday=1, starts=time(9), ends=time(12)),
    ]
    changed = schedule.with_vet_hours(vet_a, [h for h in intervals if h.vet_id == vet_a], T0)
    assert changed is not None
    changed = changed.with_vet_hours(vet_b, [h for h in intervals if h.vet_id == vet_b], T0)
    assert changed is not None
    for exception in (
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
            vet_id=vet_a,
            kind="leave",
            first_day=date(2026, 4, 1),
            last_day=date(2026, 4, 3),
            starts=time(13),
            ends=time(17, 45),
        ),
    ):
        changed = changed.with_exception(exception, T0)
    changed = replace(changed, version=2)  # four changes, saved as one
    async with uow() as unit:
        await unit.schedules.save(changed)
        await unit.commit()
    async with uow() as unit:
        stored = await unit.schedules.of_clinic(clinic.clinic_id)
    assert stored == changed
    assert stored.exceptions[0].kind == "leave"  # by first day

    emptied = changed.without_vet(vet_a, T0)
    assert emptied is not None
    async with uow() as unit:
        await unit.schedules.save(emptied)
        await unit.commit()
    async with uow() as unit:
        assert await unit.schedules.of_clinic(clinic.clinic_id) == emptied
        assert await unit.schedules.of_clinic(new_id()) is None


async def test_events_commit_with_the_change_or_not_at_all(uow: UnitOfWorkFactory) -> None:
    clinic = a_clinic()
    _, created = Clinic.open(
        clinic_id=clinic.clinic_id,
        schedule_id=clinic.schedule_id,
        name=clinic.name,
        address=clinic.address,
        phone=None,
        email=None,
        time_zone=clinic.time_zone,
        policy=clinic.policy,
        now=T0,
    )
    async with uow() as unit:
        await unit.clinics.add(clinic)
        unit.record(created)
        await unit.rollback()
        assert await unit.clinics.get(clinic.clinic_id) is None
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) is None
    await add_clinic(uow, clinic)
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) == clinic


async def test_the_sql_outbox_holds_the_recorded_events(sqlite_database: SqlDatabase) -> None:
    clinic = a_clinic()
    opened, created = Clinic.open(
        clinic_id=clinic.clinic_id,
        schedule_id=clinic.schedule_id,
        name=clinic.name,
        address=clinic.address,
        phone=None,
        email=None,
        time_zone=clinic.time_zone,
        policy=clinic.policy,
        now=T0,
    )
    async with SqlClinicUnitOfWork(sqlite_database) as unit:
        await unit.clinics.add(opened)
        unit.record(created)
        await unit.commit()
    async with sqlite_database.engine.connect() as connection:
        rows = (await connection.execute(select(clinic_tables.outbox))).all()
    assert [(r.event_type, r.aggregate_id, r.aggregate_version) for r in rows] == [
        ("petpro.clinic.created.v2", clinic.clinic_id, 1)
    ]
    assert rows[0].envelope is not None


# --- migrations ------------------------------------------------------------------------------

CLINIC_TABLES = {
    "clinics",
    "clinic_staff",
    "services",
    "schedules",
    "working_hours",
    "schedule_exceptions",
    "inbox",
    "outbox",
    "relay_checkpoint",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield SqlDatabase(sqlite_url_in(tmp_path / "data"))
        return
    with fresh_postgres_database() as url:
        yield SqlDatabase(url)


def _tables_of(database: SqlDatabase) -> set[str]:
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if "clinic" not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema="clinic"))
    finally:
        engine.dispose()


def test_clinic_upgrade_creates_its_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert migrate.head_revision("clinic") == "0001_clinic_initial"
    assert migrate.current_revision(empty_database, "clinic") is None
    migrate.upgrade(empty_database, "clinic")
    assert migrate.is_up_to_date(empty_database, "clinic")
    assert _tables_of(empty_database) == CLINIC_TABLES | {"alembic_version"}
    command.downgrade(migrate.alembic_config("clinic", empty_database), "base")
    assert migrate.current_revision(empty_database, "clinic") is None
    assert _tables_of(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, "clinic")
    assert _tables_of(empty_database) == CLINIC_TABLES | {"alembic_version"}


@pytest.mark.postgres
def test_the_clinic_migration_matches_the_table_metadata() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "clinic")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": clinic_tables.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(clinic_tables.SCHEMA),
                        "version_table_schema": clinic_tables.SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, clinic_tables.metadata))
        finally:
            engine.dispose()
    assert differences == []


@pytest.mark.postgres
def test_the_clinic_outbox_notifies_relays() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "clinic")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                triggers = (
                    connection.execute(
                        text(
                            "SELECT tgname FROM pg_trigger"
                            " WHERE tgrelid = 'clinic.outbox'::regclass AND NOT tgisinternal"
                        )
                    )
                    .scalars()
                    .all()
                )
        finally:
            engine.dispose()
    assert triggers == ["outbox_notify"]


def test_unknown_contexts_stay_refused() -> None:
    with pytest.raises(ValueError, match="unknown context"):
        migrate.head_revision("kennel")


def test_the_clinic_schema_is_a_known_context() -> None:
    from adapters.sql.database import CONTEXT_SCHEMAS

    assert "clinic" in CONTEXT_SCHEMAS
