"""/auth: registration, login, token refresh and logout."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, post
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import Body
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from petpro_core.auth.commands import Login, Logout, RefreshSession, RegisterUser
from runtimes.http.dependencies import Bus
from runtimes.http.dto import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from runtimes.http.problems import problem_responses

_UNKNOWN_CLIENT = "unknown"


@post(
    "/register",
    status_code=HTTP_201_CREATED,
    summary="Register a pet owner",
    responses=problem_responses(409, 429),
)
async def register(
    data: Annotated[RegisterRequest, Body(title="Registration")], bus: Bus
) -> UserResponse:
    user = await bus.execute(
        RegisterUser(
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            language=data.language.value,
        )
    )
    return UserResponse.of(user)


@post(
    "/login",
    status_code=HTTP_200_OK,
    summary="Log in with e-mail and password",
    description="Failed attempts are throttled per account and per client address "
    "(429 with Retry-After).",
    responses=problem_responses(401, 429),
)
async def login(
    data: Annotated[LoginRequest, Body(title="Credentials")],
    bus: Bus,
    request: Request[Any, Any, Any],
) -> TokenResponse:
    address = request.client.host if request.client else _UNKNOWN_CLIENT
    pair = await bus.execute(
        Login(email=data.email, password=data.password, client_address=address)
    )
    return TokenResponse.of(pair)


@post(
    "/refresh",
    status_code=HTTP_200_OK,
    summary="Exchange a refresh token for a new token pair",
    description="Refresh tokens are single use; presenting a used one ends the whole session.",
    responses=problem_responses(401, 429),
)
async def refresh(
    data: Annotated[RefreshRequest, Body(title="Refresh token")], bus: Bus
) -> TokenResponse:
    return TokenResponse.of(await bus.execute(RefreshSession(refresh_token=data.refresh_token)))


@post(
    "/logout",
    status_code=HTTP_204_NO_CONTENT,
    summary="End the session of a refresh token",
    responses=problem_responses(429),
)
async def logout(data: Annotated[RefreshRequest, Body(title="Refresh token")], bus: Bus) -> None:
    await bus.execute(Logout(refresh_token=data.refresh_token))


def auth_router(rate_limit_per_minute: int) -> Router:
    """Rate limited per client address when ``rate_limit_per_minute`` > 0."""
    middleware = (
        [RateLimitConfig(rate_limit=("minute", rate_limit_per_minute)).middleware]
        if rate_limit_per_minute > 0
        else []
    )
    return Router(
        "/auth",
        route_handlers=[register, login, refresh, logout],
        middleware=middleware,
        tags=["auth"],
    )
