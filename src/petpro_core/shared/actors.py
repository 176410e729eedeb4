"""Who is acting, as every context sees it: a user id and role names.

Auth issues and checks the identity (its `Principal`); the runtimes hand other contexts an
`Actor`, so no context depends on auth's types.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: UUID
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


# The operator at the console (`petpro clinics …`, `petpro bookings …`), trusted by having
# shell access; the same id as auth's OPERATOR.
OPERATOR_ACTOR = Actor(user_id=UUID(int=0), roles=frozenset({ADMIN_ROLE}))
