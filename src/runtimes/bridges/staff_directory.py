"""The clinic context's StaffDirectory, answered by auth (the owner of users and roles)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from petpro_core.auth.commands import GetUser
from petpro_core.auth.domain.errors import UserNotFound
from petpro_core.auth.domain.roles import OPERATOR
from petpro_core.auth.domain.users import User
from petpro_core.shared.messagebus import MessageBus


class AuthStaffDirectory:
    """Executes auth's GetUser as the operator. `bus_provider` returns the bus when first
    used, so the directory can be built before the bus that will carry it (no cycle)."""

    def __init__(self, bus_provider: Callable[[], MessageBus]) -> None:
        self._bus = bus_provider

    async def roles_of(self, user_id: UUID) -> frozenset[str] | None:
        try:
            user: User = await self._bus().execute(GetUser(actor=OPERATOR, user_id=user_id))
        except UserNotFound:
            return None
        return frozenset(role.value for role in user.roles)
