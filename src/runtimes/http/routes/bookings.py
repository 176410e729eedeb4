"""/bookings and the booking views under /clinics: availability, booking with payment
(Idempotency-Key required), cancellation, rescheduling, an owner's bookings, a clinic's day.

Another user's booking answers 404, never 403, so booking ids reveal nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import MediaType, Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from petpro_core.booking.commands import (
    CancelBooking,
    CreateBooking,
    FindAvailability,
    GetBooking,
    GetDaySheet,
    ListOwnerBookings,
    RescheduleBooking,
)
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.domain.errors import booking_failure
from runtimes.http.availability_render import AvailabilityRenderer
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    Container,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_bookings import (
    AvailabilityView,
    BookingCancel,
    BookingCreate,
    BookingPage,
    BookingReschedule,
    BookingView,
    DaySheetEntry,
    DaySheetVet,
    DaySheetView,
)
from runtimes.http.idempotency import (
    IDEMPOTENCY_PROBLEM_STATUSES,
    IdempotencyKeyHeader,
    booking_id_for,
    idempotent,
    request_idempotency_key,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

BookingId = Annotated[UUID, PathParameter(description="The booking's id.")]
ClinicId = Annotated[UUID, PathParameter(description="The clinic's id.")]


def _booking_response(booking: Booking) -> Response[Any]:
    """201 once confirmed; 202 while the saga still waits on the payment provider or
    inventory (the booking holds its slot; GET it later); a failed booking answers the
    problem it stands for (402 declined, 409 products unavailable or hold expired)."""
    failure = booking_failure(booking)
    if failure is not None:
        raise failure
    status = HTTP_202_ACCEPTED if booking.status is BookingStatus.HELD else HTTP_201_CREATED
    return Response(
        BookingView.of(booking),
        status_code=status,
        headers={"Location": f"/bookings/{booking.booking_id}"},
    )


@post(
    "/",
    summary="Book an appointment",
    description="Holds the slot, takes the payment and reserves the products, then confirms. "
    "201: confirmed. 202: held while the payment provider or inventory is retried. 402: the "
    "payment was declined. 409: the slot was taken, or the products are unavailable (refunded). "
    "Requires `Idempotency-Key`: a retry with the same key and body answers the first response.",
    responses=problem_responses(401, 402, 404, 409, *IDEMPOTENCY_PROBLEM_STATUSES),
    status_code=HTTP_201_CREATED,
)
async def create_booking(
    request: Request[Any, Any, Any],
    data: Annotated[BookingCreate, Body(title="New booking")],
    principal: CurrentPrincipal,
    bus: Bus,
    container: Container,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    scope = f"user:{principal.user_id}:POST /bookings"
    settings = container.settings()

    async def run() -> Response[Any]:
        booking = await bus.execute(
            CreateBooking(
                actor=actor_of(principal),
                booking_id=booking_id_for(scope, request_idempotency_key(request)),
                pet_id=data.pet_id,
                clinic_id=data.clinic_id,
                service_id=data.service_id,
                vet_id=data.vet_id,
                starts_at=data.start,
                products=tuple(line.line() for line in data.products),
                payment_token=data.payment_method_token,
            )
        )
        return _booking_response(booking)

    return await idempotent(
        request,
        store=container.booking.idempotency_store(),
        scope=scope,
        run=run,
        keep_for=timedelta(hours=settings.idempotency_key_hours),
    )


@get("/", summary="My bookings", responses=problem_responses(401))
async def list_bookings(
    principal: CurrentPrincipal,
    bus: Bus,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[
        BookingStatus | None, QueryParameter(description="Only bookings in this status.")
    ] = None,
) -> BookingPage:
    page = await bus.execute(
        ListOwnerBookings(
            actor=actor_of(principal), page=page_request(limit, offset), status=status
        )
    )
    return BookingPage(
        items=[BookingView.of(b) for b in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/{booking_id:str}", summary="A booking", responses=problem_responses(401, 404))
async def get_booking(booking_id: BookingId, principal: CurrentPrincipal, bus: Bus) -> BookingView:
    booking = await bus.execute(GetBooking(actor=actor_of(principal), booking_id=booking_id))
    return BookingView.of(booking)


@post(
    "/{booking_id:str}/cancel",
    summary="Cancel a booking",
    description="By the owner (refund per the clinic's policy) or the clinic's staff (full "
    "refund). Frees the slot and releases reserved products.",
    responses=problem_responses(401, 404, 409),
    status_code=200,
)
async def cancel_booking(
    booking_id: BookingId,
    data: Annotated[BookingCancel, Body(title="Cancellation")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> BookingView:
    booking = await bus.execute(
        CancelBooking(actor=actor_of(principal), booking_id=booking_id, reason=data.reason)
    )
    return BookingView.of(booking)


@post(
    "/{booking_id:str}/reschedule",
    summary="Move a booking to another free slot",
    description="Atomic: the booking moves to the new slot, or stays where it was (409).",
    responses=problem_responses(401, 404, 409),
    status_code=200,
)
async def reschedule_booking(
    booking_id: BookingId,
    data: Annotated[BookingReschedule, Body(title="New time")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> BookingView:
    booking = await bus.execute(
        RescheduleBooking(
            actor=actor_of(principal),
            booking_id=booking_id,
            starts_at=data.start,
            vet_id=data.vet_id,
        )
    )
    return BookingView.of(booking)


_AVAILABILITY = AvailabilityRenderer()


@get(
    "/{clinic_id:str}/availability",
    summary="Free slots of a service",
    description="Slots in the clinic's time zone (with UTC offsets) from `from` to `to` "
    "(at most 31 days), after working hours, exceptions, existing bookings, buffers, "
    "minimum notice and the booking horizon.",
    responses={
        200: ResponseSpec(data_container=AvailabilityView, description="The free slots."),
        **problem_responses(401, 404),
    },
)
async def availability(
    clinic_id: ClinicId,
    bus: Bus,
    principal: CurrentPrincipal,
    service_id: Annotated[UUID, QueryParameter(description="The service to book.")],
    window_start: Annotated[
        datetime, QueryParameter(name="from", description="ISO date-time with offset.")
    ],
    window_end: Annotated[
        datetime, QueryParameter(name="to", description="ISO date-time with offset.")
    ],
    vet_id: Annotated[UUID | None, QueryParameter(description="Only this vet.")] = None,
) -> Response[bytes]:
    answer = await bus.execute(
        FindAvailability(
            clinic_id=clinic_id,
            service_id=service_id,
            window_start=window_start,
            window_end=window_end,
            vet_id=vet_id,
        )
    )
    # The document is assembled from slots rendered once per kept computation.
    return Response(
        _AVAILABILITY.document(clinic_id, service_id, answer), media_type=MediaType.JSON
    )


@get(
    "/{clinic_id:str}/day-sheet",
    summary="A clinic's day, per vet",
    description="Every booking of the clinic's local day, grouped by vet (clinic staff, admins).",
    responses=problem_responses(401, 404),
)
async def day_sheet(
    clinic_id: ClinicId,
    principal: CurrentPrincipal,
    bus: Bus,
    day: Annotated[date, QueryParameter(description="The clinic's local date.")],
    vet_id: Annotated[UUID | None, QueryParameter(description="Only this vet.")] = None,
) -> DaySheetView:
    sheet = await bus.execute(
        GetDaySheet(actor=actor_of(principal), clinic_id=clinic_id, day=day, vet_id=vet_id)
    )
    return DaySheetView(
        clinic_id=clinic_id,
        day=day,
        clinic_name=sheet.clinic_name,
        time_zone=sheet.time_zone,
        vets=[
            DaySheetVet(
                vet_id=vet_day.vet_id,
                bookings=[
                    DaySheetEntry(
                        id=b.booking_id,
                        status=b.status.value,
                        starts_at=b.starts_at,
                        ends_at=b.ends_at,
                        pet_id=b.pet_id,
                        owner_id=b.owner_id,
                        service_id=b.service_id,
                    )
                    for b in vet_day.bookings
                ],
            )
            for vet_day in sheet.vets
        ],
    )


def bookings_router() -> Router:
    return Router(
        "/bookings",
        route_handlers=[
            create_booking,
            list_bookings,
            get_booking,
            cancel_booking,
            reschedule_booking,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["bookings"],
    )


def clinic_bookings_router() -> Router:
    return Router(
        "/clinics",
        route_handlers=[availability, day_sheet],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["bookings"],
    )
