"""SQL repositories of the clinic context. They run on the unit of work's connection.

Every save is guarded by the version: the row is updated only where its stored version is
one less than the new one, else ConcurrentClinicUpdate (another writer changed it first).
A clinic's staff and a schedule's hours and exceptions are child rows, replaced whole.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.clinic.tables import (
    clinic_staff,
    clinics,
    schedule_exceptions,
    schedules,
    services,
    working_hours,
)
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.errors import ConcurrentClinicUpdate
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.contracts.clinic import (
    BookingPolicy,
    PostalAddress,
    ScheduleException,
    StaffMember,
    WorkingHours,
)
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

ConnectionGetter = Callable[[], AsyncConnection]


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()


def _stale(what: str) -> ConcurrentClinicUpdate:
    return ConcurrentClinicUpdate(f"the {what} was changed by someone else; retry")


# --- clinics -------------------------------------------------------------------------------


def _clinic_values(clinic: Clinic) -> dict[str, Any]:
    policy, address = clinic.policy, clinic.address
    return {
        "clinic_id": clinic.clinic_id,
        "name": clinic.name,
        "address_lines": list(address.lines),
        "locality": address.locality,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "phone": clinic.phone,
        "email": clinic.email,
        "time_zone": clinic.time_zone,
        "min_notice_minutes": policy.min_notice_minutes,
        "horizon_days": policy.horizon_days,
        "slot_minutes": policy.slot_minutes,
        "full_refund_hours": policy.full_refund_hours,
        "late_refund_percent": policy.late_refund_percent,
        "schedule_id": clinic.schedule_id,
        "created_at": clinic.created_at,
        "updated_at": clinic.updated_at,
        "version": clinic.version,
    }


def _clinic_from(row: Row[Any], staff: tuple[StaffMember, ...]) -> Clinic:
    return Clinic(
        clinic_id=row.clinic_id,
        name=row.name,
        address=PostalAddress(
            lines=tuple(row.address_lines),
            locality=row.locality,
            region=row.region,
            postal_code=row.postal_code,
            country=row.country,
        ),
        phone=row.phone,
        email=row.email,
        time_zone=row.time_zone,
        policy=BookingPolicy(
            min_notice_minutes=row.min_notice_minutes,
            horizon_days=row.horizon_days,
            slot_minutes=row.slot_minutes,
            full_refund_hours=row.full_refund_hours,
            late_refund_percent=row.late_refund_percent,
        ),
        staff=staff,
        schedule_id=row.schedule_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlClinicRepository(_SqlRepository):
    async def get(self, clinic_id: UUID) -> Clinic | None:
        result = await self.connection.execute(
            select(clinics).where(clinics.c.clinic_id == clinic_id)
        )
        row = result.first()
        return None if row is None else (await self._with_staff([row]))[0]

    async def add(self, clinic: Clinic) -> None:
        await self.connection.execute(insert(clinics).values(_clinic_values(clinic)))
        await self._write_staff(clinic)

    async def save(self, clinic: Clinic) -> None:
        values = _clinic_values(clinic)
        del values["clinic_id"], values["created_at"]
        result = await self.connection.execute(
            update(clinics)
            .where(clinics.c.clinic_id == clinic.clinic_id)
            .where(clinics.c.version == clinic.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise _stale("clinic")
        await self.connection.execute(
            delete(clinic_staff).where(clinic_staff.c.clinic_id == clinic.clinic_id)
        )
        await self._write_staff(clinic)

    async def list(self, page: PageRequest) -> tuple[Sequence[Clinic], int]:
        total = await self.connection.scalar(select(func.count()).select_from(clinics))
        result = await self.connection.execute(
            select(clinics)
            .order_by(clinics.c.created_at, clinics.c.clinic_id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return await self._with_staff(result.all()), int(total or 0)

    async def with_staff_member(self, user_id: UUID) -> builtins.list[Clinic]:
        mine = select(clinic_staff.c.clinic_id).where(clinic_staff.c.user_id == user_id)
        result = await self.connection.execute(
            select(clinics)
            .where(clinics.c.clinic_id.in_(mine))
            .order_by(clinics.c.created_at, clinics.c.clinic_id)
        )
        return await self._with_staff(result.all())

    async def _write_staff(self, clinic: Clinic) -> None:
        if not clinic.staff:
            return
        rows = [
            {"clinic_id": clinic.clinic_id, "user_id": m.user_id, "role": m.role, "position": n}
            for n, m in enumerate(clinic.staff)
        ]
        await self.connection.execute(insert(clinic_staff), rows)

    async def _with_staff(self, rows: Sequence[Row[Any]]) -> builtins.list[Clinic]:
        if not rows:
            return []
        result = await self.connection.execute(
            select(clinic_staff)
            .where(clinic_staff.c.clinic_id.in_([row.clinic_id for row in rows]))
            .order_by(clinic_staff.c.clinic_id, clinic_staff.c.position)
        )
        staff: dict[UUID, builtins.list[StaffMember]] = {}
        for member in result:
            staff.setdefault(member.clinic_id, []).append(
                StaffMember(user_id=member.user_id, role=member.role)
            )
        return [_clinic_from(row, tuple(staff.get(row.clinic_id, ()))) for row in rows]


# --- services ------------------------------------------------------------------------------


def _service_values(service: Service) -> dict[str, Any]:
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
        "created_at": service.created_at,
        "updated_at": service.updated_at,
        "version": service.version,
    }


def _service_from(row: Row[Any]) -> Service:
    return Service(
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
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlServiceRepository(_SqlRepository):
    async def get(self, service_id: UUID) -> Service | None:
        result = await self.connection.execute(
            select(services).where(services.c.service_id == service_id)
        )
        row = result.first()
        return None if row is None else _service_from(row)

    async def add(self, service: Service) -> None:
        await self.connection.execute(insert(services).values(_service_values(service)))

    async def save(self, service: Service) -> None:
        values = _service_values(service)
        del values["service_id"], values["clinic_id"], values["created_at"]
        result = await self.connection.execute(
            update(services)
            .where(services.c.service_id == service.service_id)
            .where(services.c.version == service.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise _stale("service")

    async def of_clinic(self, clinic_id: UUID, *, include_inactive: bool) -> list[Service]:
        statement = select(services).where(services.c.clinic_id == clinic_id)
        if not include_inactive:
            statement = statement.where(services.c.active.is_(True))
        result = await self.connection.execute(
            statement.order_by(services.c.created_at, services.c.service_id)
        )
        return [_service_from(row) for row in result]


# --- schedules -----------------------------------------------------------------------------


class SqlScheduleRepository(_SqlRepository):
    async def of_clinic(self, clinic_id: UUID) -> Schedule | None:
        result = await self.connection.execute(
            select(schedules).where(schedules.c.clinic_id == clinic_id)
        )
        row = result.first()
        if row is None:
            return None
        hours = await self.connection.execute(
            select(working_hours)
            .where(working_hours.c.schedule_id == row.schedule_id)
            .order_by(working_hours.c.vet_id, working_hours.c.weekday, working_hours.c.starts)
        )
        exceptions = await self.connection.execute(
            select(schedule_exceptions)
            .where(schedule_exceptions.c.schedule_id == row.schedule_id)
            .order_by(
                schedule_exceptions.c.first_day,
                schedule_exceptions.c.last_day,
                schedule_exceptions.c.exception_id,
            )
        )
        return Schedule(
            schedule_id=row.schedule_id,
            clinic_id=row.clinic_id,
            weekly_hours=tuple(
                WorkingHours(vet_id=h.vet_id, weekday=h.weekday, starts=h.starts, ends=h.ends)
                for h in hours
            ),
            exceptions=tuple(
                ScheduleException(
                    exception_id=e.exception_id,
                    vet_id=e.vet_id,
                    kind=e.kind,
                    first_day=e.first_day,
                    last_day=e.last_day,
                    starts=e.starts,
                    ends=e.ends,
                    reason=e.reason,
                )
                for e in exceptions
            ),
            updated_at=row.updated_at,
            version=row.version,
        )

    async def add(self, schedule: Schedule) -> None:
        await self.connection.execute(
            insert(schedules).values(
                schedule_id=schedule.schedule_id,
                clinic_id=schedule.clinic_id,
                updated_at=schedule.updated_at,
                version=schedule.version,
            )
        )
        await self._write_children(schedule)

    async def save(self, schedule: Schedule) -> None:
        result = await self.connection.execute(
            update(schedules)
            .where(schedules.c.schedule_id == schedule.schedule_id)
            .where(schedules.c.clinic_id == schedule.clinic_id)
            .where(schedules.c.version == schedule.version - 1)
            .values(updated_at=schedule.updated_at, version=schedule.version)
        )
        if result.rowcount != 1:
            raise _stale("schedule")
        for table in (working_hours, schedule_exceptions):
            await self.connection.execute(
                delete(table).where(table.c.schedule_id == schedule.schedule_id)
            )
        await self._write_children(schedule)

    async def _write_children(self, schedule: Schedule) -> None:
        if schedule.weekly_hours:
            await self.connection.execute(
                insert(working_hours),
                [
                    {
                        "schedule_id": schedule.schedule_id,
                        "vet_id": h.vet_id,
                        "weekday": h.weekday,
                        "starts": h.starts,
                        "ends": h.ends,
                    }
                    for h in schedule.weekly_hours
                ],
            )
        if schedule.exceptions:
            await self.connection.execute(
                insert(schedule_exceptions),
                [
                    {
                        "exception_id": e.exception_id,
                        "schedule_id": schedule.schedule_id,
                        "vet_id": e.vet_id,
                        "kind": e.kind,
                        "first_day": e.first_day,
                        "last_day": e.last_day,
                        "starts": e.starts,
                        "ends": e.ends,
                        "reason": e.reason,
                    }
                    for e in schedule.exceptions
                ],
            )
