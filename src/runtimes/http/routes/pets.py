"""/pets: owners manage their own pets; admins may read everyone's.

Another owner's pet is reported as 404, never 403, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, delete, get, patch, post
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from petpro_core.auth.commands import CreatePet, DeletePet, GetPet, ListPets, UpdatePet
from runtimes.http.dependencies import AUTHENTICATED, BEARER_SECURITY, Bus, CurrentPrincipal
from runtimes.http.dto import PetCreate, PetPage, PetResponse, PetUpdate
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

PetId = Annotated[UUID, PathParameter(description="The pet's id.")]


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Register a pet",
    responses=problem_responses(401, 403, 409),
)
async def create_pet(
    data: Annotated[PetCreate, Body(title="New pet")], principal: CurrentPrincipal, bus: Bus
) -> PetResponse:
    pet = await bus.execute(CreatePet(actor=principal, **data.model_dump()))
    return PetResponse.of(pet)


@get("/", summary="List pets", responses=problem_responses(401, 403))
async def list_pets(
    principal: CurrentPrincipal,
    bus: Bus,
    limit: Limit = 50,
    offset: Offset = 0,
    owner_id: Annotated[
        UUID | None, QueryParameter(description="Another owner's pets (admin).")
    ] = None,
    all_owners: Annotated[
        bool, QueryParameter(name="all", description="Every owner's pets (admin).")
    ] = False,
) -> PetPage:
    page = await bus.execute(
        ListPets(
            actor=principal,
            page=page_request(limit, offset),
            owner_id=owner_id,
            all_owners=all_owners,
        )
    )
    return PetPage(
        items=[PetResponse.of(p) for p in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/{pet_id:str}", summary="A pet", responses=problem_responses(401, 404))
async def get_pet(pet_id: PetId, principal: CurrentPrincipal, bus: Bus) -> PetResponse:
    return PetResponse.of(await bus.execute(GetPet(actor=principal, pet_id=pet_id)))


@patch(
    "/{pet_id:str}",
    summary="Change a pet",
    description="Partial: absent members stay unchanged; null clears breed, date_of_birth, "
    "weight_kg, microchip or notes.",
    responses=problem_responses(401, 404, 409),
)
async def update_pet(
    pet_id: PetId,
    data: Annotated[PetUpdate, Body(title="Pet changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PetResponse:
    pet = await bus.execute(UpdatePet(actor=principal, pet_id=pet_id, **data.changes()))  # type: ignore[arg-type]
    return PetResponse.of(pet)


@delete(
    "/{pet_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a pet",
    responses=problem_responses(401, 404),
)
async def delete_pet(pet_id: PetId, principal: CurrentPrincipal, bus: Bus) -> None:
    await bus.execute(DeletePet(actor=principal, pet_id=pet_id))


def pets_router() -> Router:
    return Router(
        "/pets",
        route_handlers=[create_pet, list_pets, get_pet, update_pet, delete_pet],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["pets"],
    )
