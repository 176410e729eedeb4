"""Small helpers for driving the auth bus in unit tests."""

from __future__ import annotations

from typing import Any

from petpro_core.auth.commands import CreateUser, Login, RegisterUser
from petpro_core.auth.domain.roles import OPERATOR, Principal, Role
from petpro_core.auth.domain.users import User
from petpro_core.auth.handlers import TokenPair
from petpro_core.shared.messagebus import MessageBus
from tests.support.auth import STRONG_PASSWORD

ADDRESS = "203.0.113.7"


async def register(
    bus: MessageBus,
    email: str = "ann@example.com",
    *,
    password: str = STRONG_PASSWORD,
    display_name: str = "Ann Owner",
    roles: frozenset[Role] = frozenset({Role.PET_OWNER}),
    **extra: Any,
) -> User:
    """Self-service registration for pet owners; other roles through the operator."""
    command: RegisterUser | CreateUser
    if roles == {Role.PET_OWNER}:
        command = RegisterUser(email=email, display_name=display_name, password=password, **extra)
    else:
        command = CreateUser(
            actor=OPERATOR,
            email=email,
            display_name=display_name,
            password=password,
            roles=roles,
            **extra,
        )
    user: User = await bus.execute(command)
    return user


async def login(
    bus: MessageBus,
    email: str = "ann@example.com",
    password: str = STRONG_PASSWORD,
    *,
    address: str = ADDRESS,
) -> TokenPair:
    pair: TokenPair = await bus.execute(
        Login(email=email, password=password, client_address=address)
    )
    return pair


def principal(user: User) -> Principal:
    return Principal(user_id=user.id, roles=user.roles)
