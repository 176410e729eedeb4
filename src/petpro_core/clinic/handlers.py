"""Application services of the clinic context: one handler per command.

Permission checks live here, so every runtime enforces the same rules: admins may do
everything; a clinic's staff (its vets and clinic_staff) manage its services and schedule;
its clinic_staff also edit its profile and policy. A write to an unknown clinic answers
ClinicNotFound whoever asks; to a known one by someone without the right, PermissionDenied.
Every change records the changed aggregates' whole snapshots at their new versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from petpro_core.clinic.commands import (
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
    RemoveScheduleException,
    RemoveStaff,
    SetVetHours,
    StaffClinics,
    UpdateClinic,
    UpdateService,
)
from petpro_core.clinic.domain.clinics import CLINIC_STAFF_ROLE, VET_ROLE, Clinic
from petpro_core.clinic.domain.errors import (
    AdminOnly,
    ClinicNotFound,
    NotClinicStaff,
    RoleNotHeld,
    ServiceNotFound,
    StaffMemberNotFound,
    StaffUserNotFound,
    VetNotOnStaff,
)
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.clinic.domain.values import (
    invalid_as_input,
    local_time,
    parse_address,
    parse_email,
    parse_exception_kind,
    parse_minutes,
    parse_name,
    parse_phone,
    parse_policy,
    parse_price,
    parse_species,
    parse_staff_role,
    parse_time_zone,
)
from petpro_core.clinic.ports import ClinicUnitOfWork, ClinicUnitOfWorkFactory, StaffDirectory
from petpro_core.contracts.clinic import ScheduleException, WorkingHours
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import Clock
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page

MAX_BUFFER_MINUTES = 240
MAX_INTERVALS_PER_VET = 70
MAX_VETS_PER_SERVICE = 100
MAX_REASON = 500


@dataclass(frozen=True, kw_only=True)
class ClinicDependencies:
    uow: ClinicUnitOfWorkFactory
    staff: StaffDirectory
    clock: Clock


# Who may do what, given the clinic: each returns True when the actor may.
Rule = Callable[[Actor, Clinic], bool]


def _admin(actor: Actor, clinic: Clinic) -> bool:
    return actor.is_admin


def _manager(actor: Actor, clinic: Clinic) -> bool:
    return actor.is_admin or clinic.role_of(actor.user_id) == CLINIC_STAFF_ROLE


def _staff(actor: Actor, clinic: Clinic) -> bool:
    return actor.is_admin or clinic.is_staff(actor.user_id)


def _manager_or(vet_id: UUID | None) -> Rule:
    """The clinic's managers, or the vet themselves (for their own hours and leave)."""

    def rule(actor: Actor, clinic: Clinic) -> bool:
        return _manager(actor, clinic) or (
            vet_id is not None and actor.user_id == vet_id and clinic.is_vet(vet_id)
        )

    return rule


_DENIED: dict[Any, str] = {
    _admin: "only an administrator may do this",
    _manager: "only an administrator or the clinic's clinic_staff may do this",
    _staff: "only an administrator or the clinic's staff may do this",
}


class ClinicHandlers:
    def __init__(self, deps: ClinicDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            CreateClinic: self.create_clinic,
            UpdateClinic: self.update_clinic,
            AssignStaff: self.assign_staff,
            RemoveStaff: self.remove_staff,
            GetClinic: self.get_clinic,
            ListClinics: self.list_clinics,
            StaffClinics: self.staff_clinics,
            AddService: self.add_service,
            UpdateService: self.update_service,
            ListServices: self.list_services,
            GetService: self.get_service,
            SetVetHours: self.set_vet_hours,
            AddScheduleException: self.add_schedule_exception,
            RemoveScheduleException: self.remove_schedule_exception,
            GetSchedule: self.get_schedule,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    # -- clinics ---------------------------------------------------------------------------

    async def create_clinic(self, cmd: CreateClinic) -> Clinic:
        if not cmd.actor.is_admin:
            raise AdminOnly("only an administrator may open a clinic")
        name, address = parse_name(cmd.name), parse_address(cmd.address)
        phone, email = parse_phone(cmd.phone), parse_email(cmd.email)
        time_zone, policy = parse_time_zone(cmd.time_zone), parse_policy(cmd.booking_policy)
        now = self._deps.clock.now()
        clinic, created = Clinic.open(
            clinic_id=new_id(),
            schedule_id=new_id(),
            name=name,
            address=address,
            phone=phone,
            email=email,
            time_zone=time_zone,
            policy=policy,
            now=now,
        )
        schedule = Schedule.empty(
            schedule_id=clinic.schedule_id, clinic_id=clinic.clinic_id, now=now
        )
        async with self._deps.uow() as uow:
            await uow.clinics.add(clinic)
            await uow.schedules.add(schedule)
            uow.record(created, schedule.updated_event(now, clinic.time_zone))
            await uow.commit()
        return clinic

    async def update_clinic(self, cmd: UpdateClinic) -> Clinic:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _manager)
            changes: dict[str, object] = {}
            for name, raw in cmd.changes().items():
                if name == "name":
                    changes["name"] = parse_name(raw)  # type: ignore[arg-type]
                elif name == "address":
                    changes["address"] = parse_address(raw)  # type: ignore[arg-type]
                elif name == "phone":
                    changes["phone"] = parse_phone(raw)  # type: ignore[arg-type]
                elif name == "email":
                    changes["email"] = parse_email(raw)  # type: ignore[arg-type]
                elif name == "time_zone":
                    changes["time_zone"] = parse_time_zone(raw)  # type: ignore[arg-type]
                elif name == "booking_policy":
                    changes["policy"] = parse_policy(raw, clinic.policy)  # type: ignore[arg-type]
            changed, event = clinic.change(now, **changes)
            if event is not None:
                await uow.clinics.save(changed)
                uow.record(event)
                await uow.commit()
        return changed

    async def assign_staff(self, cmd: AssignStaff) -> Clinic:
        role = parse_staff_role(cmd.role)
        async with self._deps.uow() as uow:  # unknown clinic and permission first
            await _clinic_for(uow, cmd.actor, cmd.clinic_id, _admin)
        # Ask auth outside the transaction: no lock waits on another context.
        roles = await self._deps.staff.roles_of(cmd.user_id)
        if roles is None:
            raise StaffUserNotFound("no such user")
        if role not in roles:
            raise RoleNotHeld(
                f"the user does not hold the {role} role; grant it first", field="role"
            )
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _admin)
            changed, event = clinic.with_member(cmd.user_id, role, now)
            if event is not None:
                await uow.clinics.save(changed)
                uow.record(event)
                if clinic.is_vet(cmd.user_id) and role != VET_ROLE:
                    await _drop_vet(uow, changed, cmd.user_id, now)
                await uow.commit()
        return changed

    async def remove_staff(self, cmd: RemoveStaff) -> Clinic:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _admin)
            if not clinic.is_staff(cmd.user_id):
                raise StaffMemberNotFound("the user is not on this clinic's staff")
            changed, event = clinic.without_member(cmd.user_id, now)
            await uow.clinics.save(changed)
            uow.record(*(e for e in (event,) if e is not None))
            if clinic.is_vet(cmd.user_id):
                await _drop_vet(uow, changed, cmd.user_id, now)
            await uow.commit()
        return changed

    async def get_clinic(self, cmd: GetClinic) -> Clinic:
        async with self._deps.uow() as uow:
            return await _existing(uow, cmd.clinic_id)

    async def list_clinics(self, cmd: ListClinics) -> Page[Clinic]:
        async with self._deps.uow() as uow:
            items, total = await uow.clinics.list(cmd.page)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    async def staff_clinics(self, cmd: StaffClinics) -> list[Clinic]:
        async with self._deps.uow() as uow:
            return await uow.clinics.with_staff_member(cmd.user_id)

    # -- services --------------------------------------------------------------------------

    async def add_service(self, cmd: AddService) -> Service:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _staff)
            service, created = Service.offer(
                now=now,
                service_id=new_id(),
                clinic_id=clinic.clinic_id,
                name=parse_name(cmd.name),
                duration_minutes=parse_minutes(cmd.duration_minutes, "duration_minutes", minimum=5),
                buffer_before_minutes=_buffer(cmd.buffer_before_minutes, "buffer_before_minutes"),
                buffer_after_minutes=_buffer(cmd.buffer_after_minutes, "buffer_after_minutes"),
                price=parse_price(cmd.price),
                species=parse_species(cmd.species),
                vet_ids=_vets_of(clinic, cmd.vet_ids),
            )
            await uow.services.add(service)
            uow.record(created)
            await uow.commit()
        return service

    async def update_service(self, cmd: UpdateService) -> Service:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _staff)
            service = await _service_of(uow, cmd.service_id, clinic.clinic_id)
            changes: dict[str, object] = {}
            for name, raw in cmd.changes().items():
                if name == "name":
                    changes[name] = parse_name(raw)  # type: ignore[arg-type]
                elif name == "duration_minutes":
                    changes[name] = parse_minutes(raw, name, minimum=5)  # type: ignore[arg-type]
                elif name in ("buffer_before_minutes", "buffer_after_minutes"):
                    changes[name] = _buffer(raw, name)  # type: ignore[arg-type]
                elif name == "price":
                    changes[name] = parse_price(raw)  # type: ignore[arg-type]
                elif name == "species":
                    changes[name] = parse_species(raw)  # type: ignore[arg-type]
                elif name == "vet_ids":
                    changes[name] = _vets_of(clinic, raw)
                elif name == "active":
                    if not isinstance(raw, bool):
                        raise InvalidInput("active is true or false", field="active")
                    changes[name] = raw
            changed, event = service.change(now, **changes)
            if event is not None:
                await uow.services.save(changed)
                uow.record(event)
                await uow.commit()
        return changed

    async def list_services(self, cmd: ListServices) -> list[Service]:
        async with self._deps.uow() as uow:
            await _existing(uow, cmd.clinic_id)
            return await uow.services.of_clinic(
                cmd.clinic_id, include_inactive=cmd.include_inactive
            )

    async def get_service(self, cmd: GetService) -> Service:
        async with self._deps.uow() as uow:
            return await _service_of(uow, cmd.service_id, cmd.clinic_id)

    # -- schedules -------------------------------------------------------------------------

    async def set_vet_hours(self, cmd: SetVetHours) -> Schedule:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _manager_or(cmd.vet_id))
            if not clinic.is_vet(cmd.vet_id):
                raise VetNotOnStaff("hours are set for the clinic's vets only", field="vet_id")
            hours = _working_hours(cmd.vet_id, cmd.hours)
            schedule = await _schedule_of(uow, clinic)
            changed = schedule.with_vet_hours(cmd.vet_id, hours, now)
            if changed is None:
                return _current(schedule, clinic, now)
            await uow.schedules.save(changed)
            uow.record(changed.updated_event(now, clinic.time_zone))
            await uow.commit()
        return _current(changed, clinic, now)

    async def add_schedule_exception(self, cmd: AddScheduleException) -> ScheduleException:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _manager_or(cmd.vet_id))
            exception = _exception(cmd, clinic, _today(clinic, now))
            schedule = await _schedule_of(uow, clinic)
            changed = schedule.with_exception(exception, now)
            await uow.schedules.save(changed)
            uow.record(changed.updated_event(now, clinic.time_zone))
            await uow.commit()
        return exception

    async def remove_schedule_exception(self, cmd: RemoveScheduleException) -> Schedule:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _clinic_for(uow, cmd.actor, cmd.clinic_id, _staff)
            schedule = await _schedule_of(uow, clinic)
            exception = schedule.exception(cmd.exception_id)
            if not _manager_or(exception.vet_id)(cmd.actor, clinic):
                raise NotClinicStaff(
                    "only an administrator, the clinic's clinic_staff or the vet on leave "
                    "may remove this exception"
                )
            changed = schedule.without_exception(cmd.exception_id, now)
            await uow.schedules.save(changed)
            uow.record(changed.updated_event(now, clinic.time_zone))
            await uow.commit()
        return _current(changed, clinic, now)

    async def get_schedule(self, cmd: GetSchedule) -> Schedule:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            clinic = await _existing(uow, cmd.clinic_id)
            schedule = await _schedule_of(uow, clinic)
        return _current(schedule, clinic, now)


# -- helpers ----------------------------------------------------------------------------------


async def _existing(uow: ClinicUnitOfWork, clinic_id: UUID) -> Clinic:
    clinic = await uow.clinics.get(clinic_id)
    if clinic is None:
        raise ClinicNotFound("no such clinic")
    return clinic


async def _clinic_for(uow: ClinicUnitOfWork, actor: Actor, clinic_id: UUID, rule: Rule) -> Clinic:
    clinic = await _existing(uow, clinic_id)
    if not rule(actor, clinic):
        message = _DENIED.get(
            rule,
            "only an administrator, the clinic's clinic_staff or the vet concerned may do this",
        )
        raise AdminOnly(message) if rule is _admin else NotClinicStaff(message)
    return clinic


async def _service_of(uow: ClinicUnitOfWork, service_id: UUID, clinic_id: UUID | None) -> Service:
    service = await uow.services.get(service_id)
    if service is None or (clinic_id is not None and service.clinic_id != clinic_id):
        raise ServiceNotFound("no such service at this clinic" if clinic_id else "no such service")
    return service


async def _schedule_of(uow: ClinicUnitOfWork, clinic: Clinic) -> Schedule:
    schedule = await uow.schedules.of_clinic(clinic.clinic_id)
    if schedule is None:  # pragma: no cover - created with the clinic
        raise ClinicNotFound("the clinic has no schedule")
    return schedule


async def _drop_vet(uow: ClinicUnitOfWork, clinic: Clinic, vet_id: UUID, now: datetime) -> None:
    """Take a former vet off the clinic's services and out of its schedule."""
    for service in await uow.services.of_clinic(clinic.clinic_id, include_inactive=True):
        changed, event = service.without_vet(vet_id, now)
        if event is not None:
            await uow.services.save(changed)
            uow.record(event)
    schedule = await _schedule_of(uow, clinic)
    without = schedule.without_vet(vet_id, now)
    if without is not None:
        await uow.schedules.save(without)
        uow.record(without.updated_event(now, clinic.time_zone))


def _today(clinic: Clinic, now: datetime) -> date:
    return now.astimezone(ZoneInfo(clinic.time_zone)).date()


def _current(schedule: Schedule, clinic: Clinic, now: datetime) -> Schedule:
    """The schedule as published: only the exceptions that have not ended yet."""
    return replace(schedule, exceptions=schedule.current_exceptions(_today(clinic, now)))


def _buffer(raw: int, field: str) -> int:
    return parse_minutes(raw, field, minimum=0, maximum=MAX_BUFFER_MINUTES)


def _vets_of(clinic: Clinic, raw: object) -> tuple[UUID, ...]:
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
        raise InvalidInput("vet_ids is a list of user ids", field="vet_ids")
    vet_ids = tuple(dict.fromkeys(raw))
    if len(vet_ids) > MAX_VETS_PER_SERVICE:
        raise InvalidInput(f"at most {MAX_VETS_PER_SERVICE} vets per service", field="vet_ids")
    strangers = [str(v) for v in vet_ids if not clinic.is_vet(v)]
    if strangers:
        raise VetNotOnStaff(
            f"not vets on this clinic's staff: {', '.join(strangers)}", field="vet_ids"
        )
    return vet_ids


def _working_hours(vet_id: UUID, raw: tuple[HoursInput, ...]) -> list[WorkingHours]:
    if len(raw) > MAX_INTERVALS_PER_VET:
        raise InvalidInput(f"at most {MAX_INTERVALS_PER_VET} intervals a week", field="hours")
    hours = []
    for index, interval in enumerate(raw):
        field = f"hours[{index}]"
        weekday = interval.weekday
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 1 <= weekday <= 7:
            raise InvalidInput(f"{field}.weekday is 1 (Monday) to 7 (Sunday)", field=field)
        starts = local_time(interval.starts, f"{field}.starts")
        ends = local_time(interval.ends, f"{field}.ends")
        if ends <= starts:
            raise InvalidInput(
                f"{field}: {ends:%H:%M} is not after {starts:%H:%M}; an interval ends after it "
                "starts, on the same day",
                field=field,
            )
        hours.append(WorkingHours(vet_id=vet_id, weekday=weekday, starts=starts, ends=ends))
    return hours


def _exception(cmd: AddScheduleException, clinic: Clinic, today: date) -> ScheduleException:
    kind = parse_exception_kind(cmd.kind)
    if cmd.vet_id is not None and not clinic.is_vet(cmd.vet_id):
        raise VetNotOnStaff("leave is taken by the clinic's vets only", field="vet_id")
    if (kind == "leave") != (cmd.vet_id is not None):
        raise InvalidInput(
            "leave is a vet's (give vet_id); holidays and closures are clinic-wide (no vet_id)",
            field="vet_id",
        )
    if cmd.last_day < cmd.first_day:
        raise InvalidInput("last_day is not before first_day", field="last_day")
    if cmd.last_day < today:
        raise InvalidInput(
            f"the exception would already have ended (the clinic's date is {today})",
            field="last_day",
        )
    if (cmd.starts is None) != (cmd.ends is None):
        raise InvalidInput("give both starts and ends, or neither for whole days", field="starts")
    if cmd.starts is not None and cmd.ends is not None:
        starts, ends = local_time(cmd.starts, "starts"), local_time(cmd.ends, "ends")
        if ends <= starts:
            raise InvalidInput("the exception's hours end after they start", field="ends")
    reason = " ".join((cmd.reason or "").split())
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason is at most {MAX_REASON} characters", field="reason")
    return invalid_as_input(
        lambda: ScheduleException(
            exception_id=new_id(),
            vet_id=cmd.vet_id,
            kind=kind,
            first_day=cmd.first_day,
            last_day=cmd.last_day,
            starts=cmd.starts,
            ends=cmd.ends,
            reason=reason,
        )
    )
