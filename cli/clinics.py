"""`petpro clinics …`: the operator (acting as an admin) opens clinics and manages their
staff, services, weekly hours and exceptions.

Users are named by e-mail or id. Other teams add their own clinic commands to
`clinics_app` (e.g. booking's `petpro clinics day-sheet`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cli.bookings import clinic_zone, local_time, styled_status, today_in
from cli.errors import EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.auth.commands import FindUserByEmail, GetUser
from petpro_core.auth.domain.roles import OPERATOR
from petpro_core.auth.domain.users import User
from petpro_core.booking.commands import GetDaySheet
from petpro_core.booking.views import DaySheet
from petpro_core.clinic.commands import (
    AddressInput,
    AddScheduleException,
    AddService,
    AssignStaff,
    CreateClinic,
    GetClinic,
    GetSchedule,
    HoursInput,
    ListClinics,
    ListServices,
    PolicyInput,
    PriceInput,
    RemoveScheduleException,
    RemoveStaff,
    SetVetHours,
)
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.schedules import WEEKDAYS, Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.contracts.clinic import ScheduleException
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.errors import NotFound
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page, PageRequest
from runtimes.containers import ApplicationContainer

T = TypeVar("T")

clinics_app = typer.Typer(
    no_args_is_help=True, help="Clinics: staff, services, weekly hours and exceptions."
)
staff_app = typer.Typer(no_args_is_help=True, help="A clinic's staff (vets and clinic_staff).")
services_app = typer.Typer(no_args_is_help=True, help="The services a clinic offers.")
hours_app = typer.Typer(no_args_is_help=True, help="Vets' weekly working hours.")
exceptions_app = typer.Typer(
    no_args_is_help=True, help="Holidays, closures and vets' leave (schedule exceptions)."
)
clinics_app.add_typer(staff_app, name="staff")
clinics_app.add_typer(services_app, name="services")
clinics_app.add_typer(hours_app, name="hours")
clinics_app.add_typer(exceptions_app, name="exceptions")

console = Console()

ClinicArgument = Annotated[str, typer.Argument(help="The clinic's id.", show_default=False)]
UserArgument = Annotated[str, typer.Argument(help="The user's e-mail or id.", show_default=False)]

_DAYS = {name: number for number, name in enumerate(WEEKDAYS, start=1)}
_COMPACT = re.compile(r"^(?P<day>[a-z]{3})=(?P<spans>.+)$")


# -- helpers ----------------------------------------------------------------------------------


def _on_bus(work: Callable[[MessageBus], Awaitable[T]]) -> T:
    async def main(container: ApplicationContainer) -> T:
        return await work(container.bus())

    return run(main)


def _id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError:
        fail(f"{what} must be an id (a UUID), got {raw!r}", EXIT_USAGE)


async def _user_id(bus: MessageBus, raw: str) -> UUID:
    """A user named by e-mail (looked up in auth) or by id."""
    if "@" not in raw:
        return _id(raw, "a user")
    user: User = await bus.execute(FindUserByEmail(actor=OPERATOR, email=raw))
    return user.id


def _day(raw: str) -> int:
    value = raw.strip().lower()[:3]
    if value.isdigit() and 1 <= int(value) <= 7:
        return int(value)
    if value not in _DAYS:
        fail(f"unknown day {raw!r}; use mon, tue, wed, thu, fri, sat or sun", EXIT_USAGE)
    return _DAYS[value]


def _time(raw: str, what: str) -> time:
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{what} must be a local time such as 09:00, got {raw!r}", EXIT_USAGE)


def _date(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{what} must be a date such as 2026-05-05, got {raw!r}", EXIT_USAGE)


def parse_compact_hours(spec: str) -> list[HoursInput]:
    """`mon=09:00-12:30,14:00-18:00` → the day's intervals."""
    matched = _COMPACT.fullmatch(spec.strip().lower())
    if matched is None:
        fail(f"hours must look like mon=09:00-12:30,14:00-18:00, got {spec!r}", EXIT_USAGE)
    weekday = _day(matched["day"])
    intervals = []
    for span in matched["spans"].split(","):
        starts, dash, ends = span.strip().partition("-")
        if not dash:
            fail(f"an interval is FROM-TO such as 09:00-12:30, got {span!r}", EXIT_USAGE)
        intervals.append(
            HoursInput(weekday=weekday, starts=_time(starts, "a start"), ends=_time(ends, "an end"))
        )
    return intervals


def _hhmm(value: time | None) -> str:
    return "" if value is None else value.isoformat("minutes")


def _print_clinic(clinic: Clinic) -> None:
    policy, address = clinic.policy, clinic.address
    table = Table(title=clinic.name, show_header=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    place = ", ".join(
        [*address.lines, address.locality, *(p for p in (address.region, address.postal_code) if p)]
    )
    rows = [
        ("id", str(clinic.clinic_id)),
        ("address", f"{place} ({address.country})"),
        ("time zone", clinic.time_zone),
        ("phone", clinic.phone or "—"),
        ("e-mail", clinic.email or "—"),
        (
            "booking policy",
            f"notice {policy.min_notice_minutes} min, horizon {policy.horizon_days} days, "
            f"slots every {policy.slot_minutes} min, full refund {policy.full_refund_hours} h "
            f"before, later {policy.late_refund_percent} %",
        ),
        ("staff", "\n".join(f"{m.user_id} ({m.role})" for m in clinic.staff) or "—"),
        ("version", str(clinic.version)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _print_services(services: list[Service], title: str) -> None:
    table = Table(title=title)
    for column in ("name", "minutes", "buffers", "price", "species", "vets", "active", "id"):
        table.add_column(column, overflow="fold" if column in ("id", "vets") else "ellipsis")
    for s in services:
        table.add_row(
            s.name,
            str(s.duration_minutes),
            f"{s.buffer_before_minutes}/{s.buffer_after_minutes}",
            str(s.price),
            ", ".join(s.species) or "any",
            "\n".join(str(v) for v in s.vet_ids) or "—",
            "yes" if s.active else "no",
            str(s.service_id),
        )
    console.print(table)


def _print_schedule(schedule: Schedule) -> None:
    hours = Table(title="Weekly hours (clinic-local)")
    for column in ("vet", "day", "from", "to"):
        hours.add_column(column, overflow="fold")
    for h in schedule.weekly_hours:
        hours.add_row(str(h.vet_id), WEEKDAYS[h.weekday - 1], _hhmm(h.starts), _hhmm(h.ends))
    console.print(hours)
    exceptions = Table(title="Exceptions not ended yet")
    for column in ("kind", "days", "hours", "vet", "reason", "id"):
        exceptions.add_column(column, overflow="fold")
    for e in schedule.exceptions:
        days = str(e.first_day) if e.first_day == e.last_day else f"{e.first_day}..{e.last_day}"
        span = f"{_hhmm(e.starts)}-{_hhmm(e.ends)}" if e.starts else "all day"
        exceptions.add_row(
            e.kind, days, span, str(e.vet_id) if e.vet_id else "—", e.reason, str(e.exception_id)
        )
    console.print(exceptions)


# -- clinics ----------------------------------------------------------------------------------


@clinics_app.command("create")
@guarded
def clinics_create(
    name: Annotated[str, typer.Option(help="The clinic's name.")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Tokyo.")],
    line: Annotated[list[str], typer.Option(help="An address line (repeatable).")],
    locality: Annotated[str, typer.Option(help="City or town.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code, e.g. JP.")],
    region: Annotated[str | None, typer.Option(help="Prefecture, state, …")] = None,
    postal_code: Annotated[str | None, typer.Option(help="Postal code.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
    min_notice_minutes: Annotated[int | None, typer.Option(help="Booking notice.")] = None,
    horizon_days: Annotated[int | None, typer.Option(help="How far ahead to book.")] = None,
    slot_minutes: Annotated[int | None, typer.Option(help="Slot spacing.")] = None,
    full_refund_hours: Annotated[int | None, typer.Option(help="Full-refund limit.")] = None,
    late_refund_percent: Annotated[int | None, typer.Option(help="Late refund %.")] = None,
) -> None:
    """Open a clinic (its schedule is created with it, empty)."""
    command = CreateClinic(
        actor=OPERATOR_ACTOR,
        name=name,
        address=AddressInput(
            lines=tuple(line),
            locality=locality,
            region=region,
            postal_code=postal_code,
            country=country,
        ),
        time_zone=time_zone,
        phone=phone,
        email=email,
        booking_policy=PolicyInput(
            min_notice_minutes=min_notice_minutes,
            horizon_days=horizon_days,
            slot_minutes=slot_minutes,
            full_refund_hours=full_refund_hours,
            late_refund_percent=late_refund_percent,
        ),
    )
    clinic: Clinic = _on_bus(lambda bus: bus.execute(command))
    typer.echo(f"created clinic {clinic.name} ({clinic.clinic_id})")


@clinics_app.command("list")
@guarded
def clinics_list(
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List clinics as a table."""
    page: Page[Clinic] = _on_bus(
        lambda bus: bus.execute(ListClinics(page=PageRequest(limit=limit, offset=offset)))
    )
    first, last = (offset + 1, offset + len(page.items)) if page.items else (0, 0)
    table = Table(title=f"Clinics {first} to {last} of {page.total}")
    for column in ("name", "locality", "time zone", "staff", "id"):
        table.add_column(column, overflow="fold" if column == "id" else "ellipsis")
    for clinic in page.items:
        vets = len(clinic.vet_ids)
        table.add_row(
            clinic.name,
            f"{clinic.address.locality} ({clinic.address.country})",
            clinic.time_zone,
            f"{vets} vets, {len(clinic.staff) - vets} clinic_staff",
            str(clinic.clinic_id),
        )
    console.print(table)


@clinics_app.command("show")
@guarded
def clinics_show(clinic: ClinicArgument) -> None:
    """A clinic's profile, policy, staff, services and schedule."""
    clinic_id = _id(clinic, "the clinic")

    async def fetch(bus: MessageBus) -> tuple[Clinic, list[Service], Schedule]:
        found: Clinic = await bus.execute(GetClinic(clinic_id=clinic_id))
        services: list[Service] = await bus.execute(
            ListServices(clinic_id=clinic_id, include_inactive=True)
        )
        schedule: Schedule = await bus.execute(GetSchedule(clinic_id=clinic_id))
        return found, services, schedule

    found, services, schedule = _on_bus(fetch)
    _print_clinic(found)
    _print_services(services, "Services")
    _print_schedule(schedule)


# -- staff ------------------------------------------------------------------------------------


@staff_app.command("add")
@guarded
def staff_add(
    clinic: ClinicArgument,
    user: UserArgument,
    role: Annotated[str, typer.Option(help="vet or clinic_staff.")] = "vet",
) -> None:
    """Put a user on the clinic's staff (they must hold the role), or change their role."""
    clinic_id = _id(clinic, "the clinic")

    async def assign(bus: MessageBus) -> tuple[Clinic, UUID]:
        user_id = await _user_id(bus, user)
        changed: Clinic = await bus.execute(
            AssignStaff(actor=OPERATOR_ACTOR, clinic_id=clinic_id, user_id=user_id, role=role)
        )
        return changed, user_id

    changed, user_id = _on_bus(assign)
    typer.echo(f"{user} ({user_id}) is {changed.role_of(user_id)} at {changed.name}")


@staff_app.command("remove")
@guarded
def staff_remove(clinic: ClinicArgument, user: UserArgument) -> None:
    """Take a user off the clinic's staff (a vet also leaves its services and schedule)."""
    clinic_id = _id(clinic, "the clinic")

    async def remove(bus: MessageBus) -> Clinic:
        user_id = await _user_id(bus, user)
        changed: Clinic = await bus.execute(
            RemoveStaff(actor=OPERATOR_ACTOR, clinic_id=clinic_id, user_id=user_id)
        )
        return changed

    changed = _on_bus(remove)
    typer.echo(f"{user} is no longer on the staff of {changed.name}")


# -- services ---------------------------------------------------------------------------------


@services_app.command("add")
@guarded
def services_add(
    clinic: ClinicArgument,
    name: Annotated[str, typer.Option(help="The service's name.")],
    duration: Annotated[int, typer.Option(help="Minutes.")],
    price: Annotated[str, typer.Option(help="A decimal amount, e.g. 6600 or 49.90.")],
    currency: Annotated[str, typer.Option(help="ISO 4217, e.g. JPY.")],
    buffer_before: Annotated[int, typer.Option(help="Minutes blocked before.")] = 0,
    buffer_after: Annotated[int, typer.Option(help="Minutes blocked after.")] = 0,
    species: Annotated[
        list[str] | None, typer.Option(help="A species it is for (repeatable); none: any.")
    ] = None,
    vet: Annotated[
        list[str] | None, typer.Option(help="A vet who performs it, e-mail or id (repeatable).")
    ] = None,
) -> None:
    """Offer a service."""
    clinic_id = _id(clinic, "the clinic")
    try:
        amount = Decimal(price)
    except InvalidOperation:
        fail(f"--price must be a decimal amount, got {price!r}", EXIT_USAGE)

    async def add(bus: MessageBus) -> Service:
        vet_ids = tuple([await _user_id(bus, v) for v in vet or []])
        service: Service = await bus.execute(
            AddService(
                actor=OPERATOR_ACTOR,
                clinic_id=clinic_id,
                name=name,
                duration_minutes=duration,
                buffer_before_minutes=buffer_before,
                buffer_after_minutes=buffer_after,
                price=PriceInput(amount=amount, currency=currency),
                species=tuple(species or ()),
                vet_ids=vet_ids,
            )
        )
        return service

    service = _on_bus(add)
    typer.echo(f"added service {service.name} ({service.service_id}) at {service.price}")


@services_app.command("list")
@guarded
def services_list(
    clinic: ClinicArgument,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Withdrawn services too.")
    ] = False,
) -> None:
    """A clinic's services as a table."""
    clinic_id = _id(clinic, "the clinic")
    services: list[Service] = _on_bus(
        lambda bus: bus.execute(
            ListServices(clinic_id=clinic_id, include_inactive=include_inactive)
        )
    )
    _print_services(services, f"Services ({len(services)})")


# -- hours ------------------------------------------------------------------------------------


@hours_app.command("set")
@guarded
def hours_set(
    clinic: ClinicArgument,
    vet: Annotated[str, typer.Option(help="The vet, e-mail or id.")],
    day: Annotated[
        list[str] | None, typer.Option(help="mon..sun, with --from and --to (repeatable).")
    ] = None,
    from_: Annotated[
        list[str] | None, typer.Option("--from", help="Start, e.g. 09:00 (one per --day).")
    ] = None,
    to: Annotated[list[str] | None, typer.Option(help="End, e.g. 12:30 (one per --day).")] = None,
    hours: Annotated[
        list[str] | None,
        typer.Option(help='Compact form, e.g. "mon=09:00-12:30,14:00-18:00" (repeatable).'),
    ] = None,
    clear: Annotated[bool, typer.Option(help="Remove all of the vet's hours.")] = False,
) -> None:
    """Replace a vet's weekly hours (the whole week; times are clinic-local)."""
    clinic_id = _id(clinic, "the clinic")
    days, starts, ends = day or [], from_ or [], to or []
    if not (len(days) == len(starts) == len(ends)):
        fail("give --day, --from and --to the same number of times", EXIT_USAGE)
    intervals = [
        HoursInput(weekday=_day(d), starts=_time(a, "--from"), ends=_time(b, "--to"))
        for d, a, b in zip(days, starts, ends, strict=True)
    ]
    for spec in hours or []:
        intervals.extend(parse_compact_hours(spec))
    if not intervals and not clear:
        fail("give hours (--day/--from/--to or --hours), or --clear to remove them", EXIT_USAGE)
    if intervals and clear:
        fail("--clear takes no hours", EXIT_USAGE)

    async def set_hours(bus: MessageBus) -> Schedule:
        vet_id = await _user_id(bus, vet)
        schedule: Schedule = await bus.execute(
            SetVetHours(
                actor=OPERATOR_ACTOR, clinic_id=clinic_id, vet_id=vet_id, hours=tuple(intervals)
            )
        )
        return schedule

    schedule = _on_bus(set_hours)
    _print_schedule(schedule)


# -- exceptions -------------------------------------------------------------------------------


@exceptions_app.command("add")
@guarded
def exceptions_add(
    clinic: ClinicArgument,
    kind: Annotated[str, typer.Option(help="holiday, closure (clinic-wide) or leave (a vet).")],
    first_day: Annotated[str, typer.Option(help="Clinic-local date, e.g. 2026-05-05.")],
    last_day: Annotated[str | None, typer.Option(help="Last day (default: first day).")] = None,
    vet: Annotated[str | None, typer.Option(help="The vet on leave, e-mail or id.")] = None,
    starts: Annotated[str | None, typer.Option(help="Only from this local time.")] = None,
    ends: Annotated[str | None, typer.Option(help="Only until this local time.")] = None,
    reason: Annotated[str, typer.Option(help="Shown to staff.")] = "",
) -> None:
    """Add a holiday, closure or a vet's leave."""
    clinic_id = _id(clinic, "the clinic")
    first = _date(first_day, "--first-day")
    last = _date(last_day, "--last-day") if last_day else first
    start_time = _time(starts, "--starts") if starts else None
    end_time = _time(ends, "--ends") if ends else None

    async def add(bus: MessageBus) -> ScheduleException:
        vet_id = await _user_id(bus, vet) if vet else None
        exception: ScheduleException = await bus.execute(
            AddScheduleException(
                actor=OPERATOR_ACTOR,
                clinic_id=clinic_id,
                kind=kind,
                first_day=first,
                last_day=last,
                vet_id=vet_id,
                starts=start_time,
                ends=end_time,
                reason=reason,
            )
        )
        return exception

    exception = _on_bus(add)
    typer.echo(f"added {exception.kind} {exception.exception_id}")


@exceptions_app.command("remove")
@guarded
def exceptions_remove(
    clinic: ClinicArgument,
    exception: Annotated[str, typer.Argument(help="The exception's id.", show_default=False)],
) -> None:
    """Remove a schedule exception."""
    clinic_id, exception_id = _id(clinic, "the clinic"), _id(exception, "the exception")
    _on_bus(
        lambda bus: bus.execute(
            RemoveScheduleException(
                actor=OPERATOR_ACTOR, clinic_id=clinic_id, exception_id=exception_id
            )
        )
    )
    typer.echo(f"removed exception {exception_id}")


# -- the day sheet (booking's view of a clinic's day) -----------------------------------------


@clinics_app.command("day-sheet")
@guarded
def clinics_day_sheet(
    clinic: ClinicArgument,
    day: Annotated[
        str | None, typer.Option(help="Clinic-local date, e.g. 2026-05-05. Default: today there.")
    ] = None,
    vet: Annotated[str | None, typer.Option(help="Only this vet, e-mail or id.")] = None,
    include_cancelled: Annotated[
        bool, typer.Option("--all", help="Cancelled and failed bookings too.")
    ] = False,
) -> None:
    """A clinic's local day: per vet, the bookings' local times, status, pet and owner."""
    clinic_id = _id(clinic, "the clinic")
    wanted_day = _date(day, "--day") if day else None

    async def fetch(container: ApplicationContainer) -> tuple[DaySheet, dict[UUID, str]]:
        bus = container.bus()
        vet_id = await _user_id(bus, vet) if vet else None
        the_day = wanted_day
        if the_day is None:
            _, zone = await clinic_zone(bus, clinic_id)
            the_day = today_in(zone, container.clock().now())
        sheet: DaySheet = await bus.execute(
            GetDaySheet(
                actor=OPERATOR_ACTOR,
                clinic_id=clinic_id,
                day=the_day,
                vet_id=vet_id,
                include_cancelled=include_cancelled,
            )
        )
        labels = {v.vet_id: await _user_label(bus, v.vet_id) for v in sheet.vets}
        return sheet, labels

    sheet, labels = run(fetch)
    zone = ZoneInfo(sheet.time_zone)
    count = sum(len(v.bookings) for v in sheet.vets)
    console.print(
        f"[bold]{sheet.clinic_name}[/]: {sheet.day:%A %Y-%m-%d} ({sheet.time_zone}), "
        f"{count} booking{'' if count == 1 else 's'}",
        soft_wrap=True,
    )
    if not sheet.vets:
        console.print("no vets and no bookings that day")
    for vet_day in sheet.vets:
        console.print(f"[bold]vet[/] {labels[vet_day.vet_id]}", soft_wrap=True)
        table = Table()
        for column in ("time", "status", "pet", "owner", "service", "booking"):
            table.add_column(column, no_wrap=column in ("time", "status"), overflow="fold")
        for b in vet_day.bookings:
            table.add_row(
                f"{local_time(b.starts_at, zone)}-{local_time(b.ends_at, zone)}",
                styled_status(b.status),
                str(b.pet_id),
                str(b.owner_id),
                str(b.service_id),
                str(b.booking_id),
            )
        if not vet_day.bookings:
            table.add_row("—", "free all day", "", "", "", "")
        console.print(table)


async def _user_label(bus: MessageBus, user_id: UUID) -> str:
    """`e-mail (id)`, or the id alone when auth does not know the user."""
    try:
        user: User = await bus.execute(GetUser(actor=OPERATOR, user_id=user_id))
    except NotFound:
        return str(user_id)
    return f"{user.email} ({user_id})"


__all__ = ["clinics_app", "parse_compact_hours"]
