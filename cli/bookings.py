"""`petpro bookings …`: the operator (acting as an admin, so on the clinic's side) lists a
clinic's bookings, shows one, cancels one (a cancellation by the clinic: a full refund) and
runs the saga recovery step once.

Times are shown in the clinic's time zone. There is no `--owner` listing: the core lists an
owner's bookings only to that owner (`GET /bookings` over HTTP), so the console lists by
clinic. The clinic's day, per vet, is `petpro clinics day-sheet`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.booking.commands import (
    AdvanceDueSagas,
    CancelBooking,
    GetBooking,
    ListClinicBookings,
)
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.clinic.commands import GetClinic
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.errors import PetProError
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import MAX_LIMIT, Page, PageRequest
from runtimes.containers import ApplicationContainer

bookings_app = typer.Typer(
    no_args_is_help=True,
    help="Bookings, as the clinic: list a clinic's, show, cancel (full refund), recover sagas.",
)

console = Console()

DEFAULT_DAYS = 8  # `list` without --to: the first day and the 7 after it
MAX_DAYS = 31  # the booking context's longest window

BookingArgument = Annotated[str, typer.Argument(help="The booking's id.", show_default=False)]


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table (rich), csv or json.", case_sensitive=False)
]


# -- helpers shared with `petpro clinics day-sheet` ------------------------------------------


def parse_id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError:
        fail(f"{what} must be an id (a UUID), got {raw!r}", EXIT_USAGE)


def parse_day(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{what} must be a date such as 2026-05-05, got {raw!r}", EXIT_USAGE)


def local_day_bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last` (inclusive) in the zone, as UTC."""
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def today_in(zone: tzinfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def local(moment: datetime, zone: tzinfo) -> str:
    """`2026-01-02 Fri 09:30` in the zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %a %H:%M")


def local_time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


_STATUS_STYLE = {
    BookingStatus.CONFIRMED: "green",
    BookingStatus.HELD: "yellow",
    BookingStatus.FAILED: "red",
    BookingStatus.CANCELLED: "dim",
}


def styled_status(status: BookingStatus) -> str:
    return f"[{_STATUS_STYLE[status]}]{status.value}[/]"


def _money(value: Money | None) -> str:
    return "—" if value is None else str(value)


async def clinic_zone(bus: MessageBus, clinic_id: UUID) -> tuple[Clinic, ZoneInfo]:
    """The clinic (clinic-not-found if unknown) and its time zone."""
    clinic: Clinic = await bus.execute(GetClinic(clinic_id=clinic_id))
    return clinic, ZoneInfo(clinic.time_zone)


def booking_record(booking: Booking, zone: tzinfo) -> dict[str, Any]:
    """A booking as plain values (csv and json): times with the clinic's offset, money as
    decimal strings."""
    return {
        "id": str(booking.booking_id),
        "status": booking.status.value,
        "starts_at": booking.starts_at.astimezone(zone).isoformat(),
        "ends_at": booking.ends_at.astimezone(zone).isoformat(),
        "clinic_id": str(booking.clinic_id),
        "service_id": str(booking.service_id),
        "vet_id": str(booking.vet_id),
        "owner_id": str(booking.owner_id),
        "pet_id": str(booking.pet_id),
        "price": str(booking.price.amount),
        "currency": booking.price.currency,
        "refund": None if booking.refund is None else str(booking.refund.amount),
        "products": [
            {"product_id": str(line.product_id), "quantity": line.quantity}
            for line in booking.products
        ],
        "failure_reason": booking.failure_reason,
        "cancelled_by": booking.cancelled_by,
        "cancellation_reason": booking.cancellation_reason,
        "created_at": booking.created_at.isoformat(),
        "updated_at": booking.updated_at.isoformat(),
        "version": booking.version,
    }


_CSV_COLUMNS = [
    "id",
    "status",
    "starts_at",
    "ends_at",
    "vet_id",
    "pet_id",
    "owner_id",
    "service_id",
    "price",
    "currency",
    "refund",
    "cancelled_by",
    "cancellation_reason",
    "failure_reason",
]


def _print_csv(records: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    typer.echo(buffer.getvalue(), nl=False)


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


# -- list -------------------------------------------------------------------------------------


@bookings_app.command("list")
@guarded
def bookings_list(
    clinic: Annotated[str, typer.Option("--clinic", help="The clinic's id.", show_default=False)],
    first_day: Annotated[
        str | None,
        typer.Option("--from", help="First clinic-local day, YYYY-MM-DD. Default: today there."),
    ] = None,
    last_day: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last clinic-local day (inclusive). Default: 7 days after --from."
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """A clinic's bookings of every status, by start, in its local time (at most 31 days)."""
    clinic_id = parse_id(clinic, "--clinic")
    first = parse_day(first_day, "--from") if first_day else None
    last = parse_day(last_day, "--to") if last_day else None

    async def fetch(
        container: ApplicationContainer,
    ) -> tuple[Clinic, ZoneInfo, date, date, list[Booking]]:
        bus = container.bus()
        found, zone = await clinic_zone(bus, clinic_id)
        start_day = first or today_in(zone, container.clock().now())
        end_day = last or start_day + timedelta(days=DEFAULT_DAYS - 1)
        if end_day < start_day:
            fail("--to is before --from", EXIT_USAGE)
        if (end_day - start_day).days + 1 > MAX_DAYS:
            fail(f"list at most {MAX_DAYS} days at once", EXIT_USAGE)
        window_start, window_end = local_day_bounds(start_day, end_day, zone)
        bookings: list[Booking] = []
        while True:
            page: Page[Booking] = await bus.execute(
                ListClinicBookings(
                    actor=OPERATOR_ACTOR,
                    clinic_id=clinic_id,
                    window_start=window_start,
                    window_end=window_end,
                    page=PageRequest(limit=MAX_LIMIT, offset=len(bookings)),
                )
            )
            bookings.extend(page.items)
            if not page.items or len(bookings) >= page.total:
                break
        return found, zone, start_day, end_day, bookings

    found, zone, start_day, end_day, bookings = run(fetch)
    if output is OutputFormat.JSON:
        _print_json([booking_record(b, zone) for b in bookings])
        return
    if output is OutputFormat.CSV:
        _print_csv([booking_record(b, zone) for b in bookings])
        return
    count = len(bookings)
    console.print(
        f"[bold]{found.name}[/]: {count} booking{'' if count == 1 else 's'} "
        f"from {start_day} to {end_day} ({found.time_zone})",
        soft_wrap=True,
    )
    if not bookings:
        return
    table = Table()
    for column in ("start", "vet", "pet", "status", "price", "refund", "id"):
        table.add_column(
            column,
            no_wrap=column in ("start", "status", "price", "refund"),
            overflow="fold" if column in ("vet", "pet", "id") else "ellipsis",
        )
    for b in bookings:
        table.add_row(
            local(b.starts_at, zone),
            str(b.vet_id),
            str(b.pet_id),
            styled_status(b.status),
            str(b.price),
            _money(b.refund),
            str(b.booking_id),
        )
    console.print(table)


# -- show -------------------------------------------------------------------------------------


async def _booking_and_zone(bus: MessageBus, booking_id: UUID) -> tuple[Booking, tzinfo, str]:
    """The booking, and the zone (and its name) of its clinic; UTC if the clinic is gone."""
    booking: Booking = await bus.execute(GetBooking(actor=OPERATOR_ACTOR, booking_id=booking_id))
    try:
        found, zone = await clinic_zone(bus, booking.clinic_id)
    except PetProError:
        return booking, UTC, "UTC"
    return booking, zone, found.time_zone


@bookings_app.command("show")
@guarded
def bookings_show(booking: BookingArgument, output: FormatOption = OutputFormat.TABLE) -> None:
    """One booking: its time in the clinic's zone, who and what, price, refund, history."""
    booking_id = parse_id(booking, "the booking")
    found, zone, zone_name = run(lambda container: _booking_and_zone(container.bus(), booking_id))
    if output is OutputFormat.JSON:
        _print_json(booking_record(found, zone))
        return
    if output is OutputFormat.CSV:
        _print_csv([booking_record(found, zone)])
        return
    table = Table(title=f"Booking {found.booking_id}", show_header=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    rows = [
        ("status", styled_status(found.status)),
        (
            "when",
            f"{local(found.starts_at, zone)}-{local_time(found.ends_at, zone)} ({zone_name})",
        ),
        ("clinic", str(found.clinic_id)),
        ("service", str(found.service_id)),
        ("vet", str(found.vet_id)),
        ("owner", str(found.owner_id)),
        ("pet", str(found.pet_id)),
        ("price", str(found.price)),
        (
            "products",
            "\n".join(f"{line.quantity} x {line.product_id}" for line in found.products) or "—",
        ),
    ]
    if found.failure_reason:
        rows.append(("failed", found.failure_reason))
    if found.status is BookingStatus.CANCELLED:
        rows.append(
            ("cancelled", f"by the {found.cancelled_by}: {found.cancellation_reason or '—'}")
        )
        rows.append(("refund", _money(found.refund)))
    rows += [
        ("created", local(found.created_at, zone)),
        ("updated", local(found.updated_at, zone)),
        ("version", str(found.version)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


# -- cancel -----------------------------------------------------------------------------------


@bookings_app.command("cancel")
@guarded
def bookings_cancel(
    booking: BookingArgument,
    reason: Annotated[
        str, typer.Option(help='Why (at most 500 characters). Default: "cancelled by the clinic".')
    ] = "",
) -> None:
    """Cancel a booking as the clinic: the owner gets everything back.

    The slot is free at once and reserved products are released."""
    booking_id = parse_id(booking, "the booking")
    command = CancelBooking(actor=OPERATOR_ACTOR, booking_id=booking_id, reason=reason)

    async def cancel(container: ApplicationContainer) -> tuple[Booking, tzinfo, str, str | None]:
        bus = container.bus()
        before, zone, zone_name = await _booking_and_zone(bus, booking_id)
        try:
            cancelled: Booking = await bus.execute(command)
        except PetProError:
            raise
        except Exception as error:
            # The cancellation commits before the saga pays the refund and releases the
            # products; if that step fails here (e.g. the fake gateway of another process
            # took the charge), the booking is cancelled and the recovery job finishes it.
            after: Booking = await bus.execute(
                GetBooking(actor=OPERATOR_ACTOR, booking_id=booking_id)
            )
            if not (before.is_active and after.status is BookingStatus.CANCELLED):
                raise
            return after, zone, zone_name, f"{type(error).__name__}: {error}"
        return cancelled, zone, zone_name, None

    cancelled, zone, zone_name, pending = run(cancel)
    typer.echo(
        f"cancelled booking {cancelled.booking_id} "
        f"({local(cancelled.starts_at, zone)} {zone_name}); refund {_money(cancelled.refund)}"
    )
    if pending is not None:
        typer.echo(
            f"warning: the refund and release are not done yet ({pending.splitlines()[0]}); "
            "the recovery job retries them (petpro serve, petpro worker or "
            "petpro bookings recover)",
            err=True,
        )


# -- recover ----------------------------------------------------------------------------------


@bookings_app.command("recover")
@guarded
def bookings_recover(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many sagas.")] = 100,
) -> None:
    """Resume the booking sagas that are due, once (the workers do it every second).

    Due: an orchestrator died, a retry's backoff ended, or a hold expired."""
    advanced: int = run(lambda container: container.bus().execute(AdvanceDueSagas(limit=limit)))
    typer.echo(f"advanced {advanced} booking saga{'' if advanced == 1 else 's'}")


__all__ = [
    "OutputFormat",
    "booking_record",
    "bookings_app",
    "clinic_zone",
    "local",
    "local_day_bounds",
    "local_time",
    "parse_day",
    "parse_id",
    "styled_status",
    "today_in",
]
