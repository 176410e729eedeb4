"""/clinics: clinics, their staff, services and schedules.

Every route needs a bearer token (reads take the principal for that alone). Any
authenticated user may read a clinic, its services and its schedule (owners book
from them). Admins open clinics and manage staff; a clinic's staff manage its services
and schedule, its clinic_staff also its profile and policy (see the clinic handlers).
A write to an unknown clinic answers 404; to someone else's clinic, 403.

Other routes under /clinics (availability, day sheets) belong to the booking router.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, delete, get, patch, post, put
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from petpro_core.clinic.commands import (
    AddScheduleException,
    AddService,
    AssignStaff,
    CreateClinic,
    GetClinic,
    GetSchedule,
    GetService,
    ListClinics,
    ListServices,
    RemoveScheduleException,
    RemoveStaff,
    SetVetHours,
    UpdateClinic,
    UpdateService,
)
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_clinics import (
    ClinicCreate,
    ClinicPage,
    ClinicResponse,
    ClinicUpdate,
    ExceptionCreate,
    ExceptionResponse,
    HoursInterval,
    ScheduleResponse,
    ServiceCreate,
    ServiceList,
    ServiceResponse,
    ServiceUpdate,
    StaffAssignment,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

ClinicId = Annotated[UUID, PathParameter(description="The clinic's id.")]
ServiceId = Annotated[UUID, PathParameter(description="The service's id.")]
UserId = Annotated[UUID, PathParameter(description="The user's id.")]
VetId = Annotated[UUID, PathParameter(description="The vet's user id.")]
ExceptionId = Annotated[UUID, PathParameter(description="The exception's id.")]

# -- clinics ----------------------------------------------------------------------------------


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Open a clinic (admin)",
    responses=problem_responses(401, 403),
)
async def create_clinic(
    data: Annotated[ClinicCreate, Body(title="New clinic")], principal: CurrentPrincipal, bus: Bus
) -> ClinicResponse:
    clinic = await bus.execute(
        CreateClinic(
            actor=actor_of(principal),
            name=data.name,
            address=data.address.input(),
            time_zone=data.time_zone,
            phone=data.phone,
            email=data.email,
            booking_policy=None if data.booking_policy is None else data.booking_policy.input(),
        )
    )
    return ClinicResponse.of(clinic)


@get("/", summary="List clinics", responses=problem_responses(401))
async def list_clinics(
    principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, offset: Offset = 0
) -> ClinicPage:
    page = await bus.execute(ListClinics(page=page_request(limit, offset)))
    return ClinicPage(
        items=[ClinicResponse.of(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/{clinic_id:str}", summary="A clinic", responses=problem_responses(401, 404))
async def get_clinic(clinic_id: ClinicId, principal: CurrentPrincipal, bus: Bus) -> ClinicResponse:
    return ClinicResponse.of(await bus.execute(GetClinic(clinic_id=clinic_id)))


@patch(
    "/{clinic_id:str}",
    summary="Change a clinic's profile or booking policy",
    description="Partial: absent members stay unchanged; null clears phone or email; "
    "booking_policy changes only the members it gives. Admins, or the clinic's clinic_staff.",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_clinic(
    clinic_id: ClinicId,
    data: Annotated[ClinicUpdate, Body(title="Clinic changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ClinicResponse:
    clinic = await bus.execute(
        UpdateClinic(actor=actor_of(principal), clinic_id=clinic_id, **data.changes())  # type: ignore[arg-type]
    )
    return ClinicResponse.of(clinic)


@put(
    "/{clinic_id:str}/staff/{user_id:str}",
    summary="Put a user on the clinic's staff, or change their role (admin)",
    description="The user must hold the role (vet or clinic_staff). A vet who becomes "
    "clinic_staff leaves the clinic's services and schedule.",
    responses=problem_responses(401, 403, 404, 409),
)
async def assign_staff(
    clinic_id: ClinicId,
    user_id: UserId,
    data: Annotated[StaffAssignment, Body(title="Role at the clinic")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ClinicResponse:
    clinic = await bus.execute(
        AssignStaff(actor=actor_of(principal), clinic_id=clinic_id, user_id=user_id, role=data.role)
    )
    return ClinicResponse.of(clinic)


@delete(
    "/{clinic_id:str}/staff/{user_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Take a user off the clinic's staff (admin)",
    description="A vet also leaves the clinic's services, weekly hours and leave.",
    responses=problem_responses(401, 403, 404, 409),
)
async def remove_staff(
    clinic_id: ClinicId, user_id: UserId, principal: CurrentPrincipal, bus: Bus
) -> None:
    await bus.execute(RemoveStaff(actor=actor_of(principal), clinic_id=clinic_id, user_id=user_id))


# -- services ---------------------------------------------------------------------------------


@post(
    "/{clinic_id:str}/services",
    status_code=HTTP_201_CREATED,
    summary="Offer a service (the clinic's staff)",
    responses=problem_responses(401, 403, 404),
)
async def add_service(
    clinic_id: ClinicId,
    data: Annotated[ServiceCreate, Body(title="New service")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ServiceResponse:
    service = await bus.execute(
        AddService(
            actor=actor_of(principal),
            clinic_id=clinic_id,
            name=data.name,
            duration_minutes=data.duration_minutes,
            buffer_before_minutes=data.buffer_before_minutes,
            buffer_after_minutes=data.buffer_after_minutes,
            price=data.price.input(),
            species=tuple(data.species),
            vet_ids=tuple(data.vet_ids),
        )
    )
    return ServiceResponse.of(service)


@get(
    "/{clinic_id:str}/services",
    summary="A clinic's services",
    responses=problem_responses(401, 404),
)
async def list_services(
    clinic_id: ClinicId,
    principal: CurrentPrincipal,
    bus: Bus,
    include_inactive: Annotated[
        bool, QueryParameter(description="Withdrawn services too.")
    ] = False,
) -> ServiceList:
    services = await bus.execute(
        ListServices(clinic_id=clinic_id, include_inactive=include_inactive)
    )
    return ServiceList(items=[ServiceResponse.of(s) for s in services])


@get(
    "/{clinic_id:str}/services/{service_id:str}",
    summary="A service",
    responses=problem_responses(401, 404),
)
async def get_service(
    clinic_id: ClinicId, service_id: ServiceId, principal: CurrentPrincipal, bus: Bus
) -> ServiceResponse:
    return ServiceResponse.of(
        await bus.execute(GetService(service_id=service_id, clinic_id=clinic_id))
    )


@patch(
    "/{clinic_id:str}/services/{service_id:str}",
    summary="Change or withdraw a service (the clinic's staff)",
    description="Partial: absent members stay unchanged; `active: false` withdraws it.",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_service(
    clinic_id: ClinicId,
    service_id: ServiceId,
    data: Annotated[ServiceUpdate, Body(title="Service changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ServiceResponse:
    service = await bus.execute(
        UpdateService(
            actor=actor_of(principal),
            clinic_id=clinic_id,
            service_id=service_id,
            **data.changes(),  # type: ignore[arg-type]
        )
    )
    return ServiceResponse.of(service)


# -- schedule ---------------------------------------------------------------------------------


@get(
    "/{clinic_id:str}/schedule",
    summary="The clinic's schedule",
    description="Every vet's weekly hours (clinic-local) and the exceptions not ended yet.",
    responses=problem_responses(401, 404),
)
async def get_schedule(
    clinic_id: ClinicId, principal: CurrentPrincipal, bus: Bus
) -> ScheduleResponse:
    return ScheduleResponse.of(await bus.execute(GetSchedule(clinic_id=clinic_id)))


@put(
    "/{clinic_id:str}/vets/{vet_id:str}/hours",
    summary="Replace a vet's weekly hours",
    description="The whole week: a list of intervals (several a day, never overlapping); an "
    "empty list clears them. Admins and the clinic's clinic_staff; a vet for their own.",
    responses=problem_responses(401, 403, 404, 409),
)
async def set_vet_hours(
    clinic_id: ClinicId,
    vet_id: VetId,
    data: Annotated[list[HoursInterval], Body(title="Weekly hours", max_length=70)],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ScheduleResponse:
    schedule = await bus.execute(
        SetVetHours(
            actor=actor_of(principal),
            clinic_id=clinic_id,
            vet_id=vet_id,
            hours=tuple(interval.input() for interval in data),
        )
    )
    return ScheduleResponse.of(schedule)


@post(
    "/{clinic_id:str}/exceptions",
    status_code=HTTP_201_CREATED,
    summary="Add a holiday, closure or a vet's leave",
    description="Clinic-wide (holiday, closure): admins and clinic_staff. A vet's leave: "
    "also the vet.",
    responses=problem_responses(401, 403, 404, 409),
)
async def add_exception(
    clinic_id: ClinicId,
    data: Annotated[ExceptionCreate, Body(title="Schedule exception")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ExceptionResponse:
    exception = await bus.execute(
        AddScheduleException(actor=actor_of(principal), clinic_id=clinic_id, **data.model_dump())
    )
    return ExceptionResponse.of(exception)


@delete(
    "/{clinic_id:str}/exceptions/{exception_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove a schedule exception",
    responses=problem_responses(401, 403, 404, 409),
)
async def remove_exception(
    clinic_id: ClinicId, exception_id: ExceptionId, principal: CurrentPrincipal, bus: Bus
) -> None:
    await bus.execute(
        RemoveScheduleException(
            actor=actor_of(principal), clinic_id=clinic_id, exception_id=exception_id
        )
    )


def clinics_router() -> Router:
    return Router(
        "/clinics",
        route_handlers=[
            create_clinic,
            list_clinics,
            get_clinic,
            update_clinic,
            assign_staff,
            remove_staff,
            add_service,
            list_services,
            get_service,
            update_service,
            get_schedule,
            set_vet_hours,
            add_exception,
            remove_exception,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["clinics"],
    )
