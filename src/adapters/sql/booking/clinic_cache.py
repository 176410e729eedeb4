"""SQL repository of booking's copies of clinics, services and schedules.

Each `apply_*` is one upsert whose WHERE keeps a stored entry that is as new or newer (the
same never-backwards rule as the pet cache). Policies, staff, hours and exceptions are JSON
documents (dates and times as ISO text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Table, Uuid, any_, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from adapters.sql.booking.bookings import (
    busy_fingerprint,
    busy_fingerprint_on_postgresql,
    fingerprint_text,
)
from adapters.sql.booking.repositories import ConnectionGetter
from adapters.sql.booking.tables import bookings, clinic_cache, schedule_cache, service_cache
from adapters.sql.statements import Statement
from petpro_core.booking.domain.clinic_cache import CachedClinic, CachedSchedule, CachedService
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ScheduleException,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.money import Money


def _upsert(table: Table, dialect: Any) -> Insert:
    """INSERT … ON CONFLICT (primary key) DO UPDATE … WHERE stored.version < new.version."""
    statement = dialect.insert(table)
    key = [column for column in table.primary_key.columns]
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=key,
        set_={c.name: statement.excluded[c.name] for c in table.columns if not c.primary_key},
        where=table.c.version < statement.excluded.version,
    )
    return upsert


_UPSERTS: dict[str, dict[str, Insert]] = {
    name: {
        table.name: _upsert(table, dialect)
        for table in (clinic_cache, service_cache, schedule_cache)
    }
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}

_GET_CLINIC = select(clinic_cache).where(clinic_cache.c.clinic_id == bindparam("clinic_id"))
_GET_SERVICE = select(service_cache).where(service_cache.c.service_id == bindparam("service_id"))
_SERVICES_OF = (
    select(service_cache)
    .where(service_cache.c.clinic_id == bindparam("clinic_id"))
    .order_by(service_cache.c.name, service_cache.c.service_id)
)
_GET_SCHEDULE = select(schedule_cache).where(schedule_cache.c.clinic_id == bindparam("clinic_id"))


def _optional_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _optional_uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


# --- clinics ------------------------------------------------------------------------------


def _clinic_values(clinic: CachedClinic) -> dict[str, Any]:
    return {
        "clinic_id": clinic.clinic_id,
        "name": clinic.name,
        "time_zone": clinic.time_zone,
        "policy": asdict(clinic.policy),
        "staff": [{"user_id": str(m.user_id), "role": m.role} for m in clinic.staff],
        "version": clinic.version,
    }


def _clinic_from(row: Any) -> CachedClinic:
    return CachedClinic(
        clinic_id=row.clinic_id,
        name=row.name,
        time_zone=row.time_zone,
        policy=BookingPolicy(**row.policy),
        staff=tuple(
            StaffMember(user_id=UUID(member["user_id"]), role=member["role"])
            for member in row.staff
        ),
        version=row.version,
    )


# --- services -----------------------------------------------------------------------------


def _service_values(service: CachedService) -> dict[str, Any]:
    return {
        "service_id": service.service_id,
        "clinic_id": service.clinic_id,
        "name": service.name,
        "duration_minutes": service.duration_minutes,
        "buffer_before_minutes": service.buffer_before_minutes,
        "buffer_after_minutes": service.buffer_after_minutes,
        "price_amount": service.price.amount,
        "price_currency": service.price.currency,
        "species": list(service.species),
        "vet_ids": [str(vet_id) for vet_id in service.vet_ids],
        "active": service.active,
        "version": service.version,
    }


def _service_from(row: Any) -> CachedService:
    return CachedService(
        service_id=row.service_id,
        clinic_id=row.clinic_id,
        name=row.name,
        duration_minutes=row.duration_minutes,
        buffer_before_minutes=row.buffer_before_minutes,
        buffer_after_minutes=row.buffer_after_minutes,
        price=Money(row.price_amount, row.price_currency),
        species=tuple(row.species),
        vet_ids=tuple(UUID(vet_id) for vet_id in row.vet_ids),
        active=row.active,
        version=row.version,
    )


# --- schedules ----------------------------------------------------------------------------


def _hours_document(hours: WorkingHours) -> dict[str, Any]:
    return {
        "vet_id": str(hours.vet_id),
        "weekday": hours.weekday,
        "starts": hours.starts.isoformat(),
        "ends": hours.ends.isoformat(),
    }


def _hours_from(document: dict[str, Any]) -> WorkingHours:
    return WorkingHours(
        vet_id=UUID(document["vet_id"]),
        weekday=document["weekday"],
        starts=time.fromisoformat(document["starts"]),
        ends=time.fromisoformat(document["ends"]),
    )


def _exception_document(exception: ScheduleException) -> dict[str, Any]:
    return {
        "exception_id": str(exception.exception_id),
        "vet_id": None if exception.vet_id is None else str(exception.vet_id),
        "kind": exception.kind,
        "first_day": exception.first_day.isoformat(),
        "last_day": exception.last_day.isoformat(),
        "starts": None if exception.starts is None else exception.starts.isoformat(),
        "ends": None if exception.ends is None else exception.ends.isoformat(),
        "reason": exception.reason,
    }


def _exception_from(document: dict[str, Any]) -> ScheduleException:
    return ScheduleException(
        exception_id=UUID(document["exception_id"]),
        vet_id=_optional_uuid(document["vet_id"]),
        kind=document["kind"],
        first_day=date.fromisoformat(document["first_day"]),
        last_day=date.fromisoformat(document["last_day"]),
        starts=_optional_time(document["starts"]),
        ends=_optional_time(document["ends"]),
        reason=document["reason"],
    )


def _schedule_values(schedule: CachedSchedule) -> dict[str, Any]:
    return {
        "clinic_id": schedule.clinic_id,
        "weekly_hours": [_hours_document(hours) for hours in schedule.weekly_hours],
        "exceptions": [_exception_document(exception) for exception in schedule.exceptions],
        "version": schedule.version,
    }


def _schedule_from(row: Any) -> CachedSchedule:
    return CachedSchedule(
        clinic_id=row.clinic_id,
        weekly_hours=tuple(_hours_from(document) for document in row.weekly_hours),
        exceptions=tuple(_exception_from(document) for document in row.exceptions),
        version=row.version,
    )


# Every search and booking reads its clinic, service and schedule; parsing the schedule's
# JSON each time cost more than the search's SQL. One statement reads the three stored
# versions, and an entry is parsed again only when its version moved. Keyed by database too
# (tests run many); an entry written through this process is dropped at once.
_VERSION_COLUMNS = (
    select(clinic_cache.c.version)
    .where(clinic_cache.c.clinic_id == bindparam("clinic_id"))
    .scalar_subquery()
    .label("clinic"),
    select(service_cache.c.version)
    .where(service_cache.c.service_id == bindparam("service_id"))
    .scalar_subquery()
    .label("service"),
    select(schedule_cache.c.version)
    .where(schedule_cache.c.clinic_id == bindparam("clinic_id"))
    .scalar_subquery()
    .label("schedule"),
)
_VERSIONS = Statement(select(*_VERSION_COLUMNS))


def _versions_and_busy(vets: ColumnElement[bool]) -> Statement:
    """PostgreSQL: the versions and the busy fingerprint of `vets` in one statement."""
    busy = busy_fingerprint_on_postgresql(vets).subquery()
    return Statement(select(*_VERSION_COLUMNS, busy.c.busy_count, busy.c.busy_total))


# The vets of a search: the one asked for, or every vet of the service as stored.
_VERSIONS_AND_BUSY = {
    True: _versions_and_busy(bookings.c.vet_id == bindparam("vet_id", type_=Uuid())),
    # ANY(ARRAY(subquery)), not IN (subquery): the planner then reads the vets first and
    # scans the partial index, where a semi-join scanned every booking (0.26 vs 3.1 ms).
    False: _versions_and_busy(
        bookings.c.vet_id
        == any_(
            func.array(
                select(cast(func.jsonb_array_elements_text(service_cache.c.vet_ids), Uuid()))
                .where(service_cache.c.service_id == bindparam("service_id"))
                .scalar_subquery()
            )
        )
    ),
}
_MAX_PARSED = 10_000
_parsed: dict[tuple[URL, str, UUID], Any] = {}


class SqlClinicCacheRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    async def offer(
        self, clinic_id: UUID, service_id: UUID
    ) -> tuple[CachedClinic | None, CachedService | None, CachedSchedule | None]:
        connection = self._connection()
        versions = (
            await _VERSIONS.execute(connection, {"clinic_id": clinic_id, "service_id": service_id})
        ).one()
        return await self._offer_at(connection, clinic_id, service_id, versions)

    async def offer_with_busy_fingerprint(
        self, clinic_id: UUID, service_id: UUID, vet_id: UUID | None, start: datetime, end: datetime
    ) -> tuple[tuple[CachedClinic | None, CachedService | None, CachedSchedule | None], str | None]:
        connection = self._connection()
        if connection.dialect.name != "postgresql":  # local: two statements cost little
            offer = await self.offer(clinic_id, service_id)
            if offer[1] is None:
                return offer, None
            vets = [vet_id] if vet_id is not None else list(offer[1].vet_ids)
            return offer, await busy_fingerprint(connection, vets, start, end)
        parameters = {"clinic_id": clinic_id, "service_id": service_id, "start": start, "end": end}
        if vet_id is not None:
            parameters["vet_id"] = vet_id
        statement = _VERSIONS_AND_BUSY[vet_id is not None]
        row = (await statement.execute(connection, parameters)).one()
        offer = await self._offer_at(connection, clinic_id, service_id, row)
        if offer[1] is None:
            return offer, None
        return offer, fingerprint_text(row.busy_count, row.busy_total)

    async def _offer_at(
        self, connection: AsyncConnection, clinic_id: UUID, service_id: UUID, versions: Any
    ) -> tuple[CachedClinic | None, CachedService | None, CachedSchedule | None]:
        """The entries at the stored `versions`: kept ones, or read and parsed again."""
        database = _database_of(connection)
        clinic = await self._kept(database, "clinic", clinic_id, versions.clinic, self.clinic)
        service = await self._kept(database, "service", service_id, versions.service, self.service)
        schedule = await self._kept(
            database, "schedule", clinic_id, versions.schedule, self.schedule
        )
        return clinic, service, schedule

    async def _kept(
        self,
        database: URL,
        kind: str,
        key: UUID,
        version: int | None,
        load: Callable[[UUID], Awaitable[Any]],
    ) -> Any:
        if version is None:
            return None
        found = _parsed.get((database, kind, key))
        if found is not None and found.version == version:
            return found
        loaded = await load(key)
        if loaded is not None:
            if len(_parsed) >= _MAX_PARSED:
                _parsed.clear()
            _parsed[(database, kind, key)] = loaded
        return loaded

    async def clinic(self, clinic_id: UUID) -> CachedClinic | None:
        row = (await self._connection().execute(_GET_CLINIC, {"clinic_id": clinic_id})).first()
        return None if row is None else _clinic_from(row)

    async def service(self, service_id: UUID) -> CachedService | None:
        result = await self._connection().execute(_GET_SERVICE, {"service_id": service_id})
        row = result.first()
        return None if row is None else _service_from(row)

    async def services_of(self, clinic_id: UUID) -> list[CachedService]:
        result = await self._connection().execute(_SERVICES_OF, {"clinic_id": clinic_id})
        return [_service_from(row) for row in result]

    async def schedule(self, clinic_id: UUID) -> CachedSchedule | None:
        result = await self._connection().execute(_GET_SCHEDULE, {"clinic_id": clinic_id})
        row = result.first()
        return None if row is None else _schedule_from(row)

    async def apply_clinic(self, clinic: CachedClinic) -> None:
        await self._upsert(clinic_cache, _clinic_values(clinic), ("clinic", clinic.clinic_id))

    async def apply_service(self, service: CachedService) -> None:
        await self._upsert(service_cache, _service_values(service), ("service", service.service_id))

    async def apply_schedule(self, schedule: CachedSchedule) -> None:
        await self._upsert(
            schedule_cache, _schedule_values(schedule), ("schedule", schedule.clinic_id)
        )

    async def _upsert(self, table: Table, values: dict[str, Any], entry: tuple[str, UUID]) -> None:
        connection: AsyncConnection = self._connection()
        await connection.execute(_UPSERTS[connection.dialect.name][table.name], values)
        _parsed.pop((_database_of(connection), *entry), None)


def _database_of(connection: AsyncConnection) -> URL:
    return connection.engine.url  # hashable; the same for every engine on one database
