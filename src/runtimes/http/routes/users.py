"""/users: the caller's own profile, and user administration for admins."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, get, patch, post
from litestar.params import Body, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from petpro_core.auth.commands import (
    ChangePassword,
    ChangeRoles,
    GetUser,
    ListBookingHistory,
    ListUsers,
    UpdateProfile,
)
from runtimes.http.dependencies import AUTHENTICATED, BEARER_SECURITY, Bus, CurrentPrincipal
from runtimes.http.dto import PasswordChange, ProfileUpdate, RoleChange, UserPage, UserResponse
from runtimes.http.dto_history import BookingHistoryPage
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

UserId = Annotated[UUID, PathParameter(description="The user's id.")]


@get("/me", summary="The caller's profile", responses=problem_responses(401))
async def get_me(principal: CurrentPrincipal, bus: Bus) -> UserResponse:
    return UserResponse.of(await bus.execute(GetUser(actor=principal, user_id=principal.user_id)))


@patch("/me", summary="Change the caller's profile", responses=problem_responses(401))
async def update_me(
    data: Annotated[ProfileUpdate, Body(title="Profile changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> UserResponse:
    user = await bus.execute(
        UpdateProfile(
            actor=principal,
            display_name=data.display_name,
            language=None if data.language is None else data.language.value,
        )
    )
    return UserResponse.of(user)


@post(
    "/me/password",
    status_code=HTTP_204_NO_CONTENT,
    summary="Change the caller's password",
    description="Ends every session of the user; log in again with the new password.",
    responses=problem_responses(401, 429),
)
async def change_password(
    data: Annotated[PasswordChange, Body(title="Password change")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> None:
    await bus.execute(
        ChangePassword(
            actor=principal, current_password=data.current_password, new_password=data.new_password
        )
    )


_HISTORY_DESCRIPTION = (
    "The latest start first. Kept from the booking service's events, so a booking made a "
    "moment ago may take a moment to appear."
)


@get(
    "/me/bookings",
    summary="The caller's booking history",
    description=_HISTORY_DESCRIPTION,
    responses=problem_responses(401),
)
async def get_my_bookings(
    principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, offset: Offset = 0
) -> BookingHistoryPage:
    page = await bus.execute(
        ListBookingHistory(
            actor=principal, user_id=principal.user_id, page=page_request(limit, offset)
        )
    )
    return BookingHistoryPage.of(principal.user_id, page)


@get(
    "/{user_id:str}/bookings",
    summary="A user's booking history (admin, or the user)",
    description=_HISTORY_DESCRIPTION,
    responses=problem_responses(401, 403, 404),
)
async def get_user_bookings(
    user_id: UserId, principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, offset: Offset = 0
) -> BookingHistoryPage:
    page = await bus.execute(
        ListBookingHistory(actor=principal, user_id=user_id, page=page_request(limit, offset))
    )
    return BookingHistoryPage.of(user_id, page)


@get("/", summary="List users (admin)", responses=problem_responses(401, 403))
async def list_users(
    principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, offset: Offset = 0
) -> UserPage:
    page = await bus.execute(ListUsers(actor=principal, page=page_request(limit, offset)))
    return UserPage(
        items=[UserResponse.of(u) for u in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/{user_id:str}", summary="A user (admin, or the user)", responses=problem_responses(401, 404))
async def get_user(user_id: UserId, principal: CurrentPrincipal, bus: Bus) -> UserResponse:
    return UserResponse.of(await bus.execute(GetUser(actor=principal, user_id=user_id)))


@post(
    "/{user_id:str}/roles",
    status_code=HTTP_200_OK,
    summary="Grant and revoke roles (admin)",
    responses=problem_responses(401, 403, 404),
)
async def change_roles(
    user_id: UserId,
    data: Annotated[RoleChange, Body(title="Role changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> UserResponse:
    user = await bus.execute(
        ChangeRoles(
            actor=principal,
            user_id=user_id,
            grant=frozenset(data.grant),
            revoke=frozenset(data.revoke),
        )
    )
    return UserResponse.of(user)


def users_router() -> Router:
    return Router(
        "/users",
        route_handlers=[
            get_me,
            update_me,
            change_password,
            get_my_bookings,
            list_users,
            get_user,
            get_user_bookings,
            change_roles,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["users"],
    )
