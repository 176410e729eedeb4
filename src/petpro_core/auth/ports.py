"""What the auth context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.auth.domain.booking_history import BookingHistoryEntry
from petpro_core.auth.domain.passwords import PasswordStrengthEstimator
from petpro_core.auth.domain.pets import Pet
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.sessions import RefreshToken
from petpro_core.auth.domain.throttling import FailureWindow
from petpro_core.auth.domain.users import User
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "AccessClaims",
    "AuthUnitOfWork",
    "BookingHistoryRepository",
    "IssuedAccessToken",
    "LoginFailureLog",
    "PasswordHasher",
    "PasswordStrengthEstimator",
    "PetRepository",
    "RefreshTokenRepository",
    "TokenIssuer",
    "UserRepository",
]


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises EmailAlreadyRegistered when the e-mail is taken (checked by the store too)."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_in_active_session(self, user_id: UUID, family_id: UUID) -> User | None:
        """The user, while `family_id` is one of their sessions that is still active (a
        token of the family neither revoked nor replaced by rotation); else None. One look-up
        for every authenticated request."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """Look up by normalised e-mail, case-insensitively."""
        ...

    async def update(self, user: User, *, expected_version: int) -> None:
        """Replace the stored user; ConcurrentUpdate when its version is not `expected_version`."""
        ...

    async def list(self, page: PageRequest) -> tuple[Sequence[User], int]:
        """Users ordered by creation, and how many there are in all."""
        ...

    async def count_with_role(self, role: Role) -> int: ...


class PetRepository(Protocol):
    async def add(self, pet: Pet) -> None:
        """Raises MicrochipAlreadyRegistered when the microchip is taken."""
        ...

    async def get(self, pet_id: UUID) -> Pet | None: ...

    async def update(self, pet: Pet, *, expected_version: int) -> None:
        """Raises ConcurrentUpdate on a version mismatch, MicrochipAlreadyRegistered on a clash."""
        ...

    async def delete(self, pet_id: UUID) -> None: ...

    async def list(self, page: PageRequest, *, owner_id: UUID | None) -> tuple[Sequence[Pet], int]:
        """Pets ordered by creation (of one owner, or all when owner_id is None), and the total."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        """Atomically mark an unspent token used; False if it was already spent (a replay)."""
        ...

    async def revoke_family(self, family_id: UUID, at: datetime) -> None: ...

    async def revoke_all_of_user(self, user_id: UUID, at: datetime) -> None: ...


class LoginFailureLog(Protocol):
    async def record(self, key: str, at: datetime) -> None: ...

    async def window(self, key: str, since: datetime) -> FailureWindow:
        """Failures of `key` strictly after `since`: a failure expires at the window's edge."""
        ...

    async def clear(self, key: str) -> None: ...

    async def prune(self, before: datetime) -> None:
        """Forget every failure at or before `before` (of any key): they count for nothing."""
        ...


class BookingHistoryRepository(Protocol):
    """Each user's bookings, projected from booking's events; never goes backwards."""

    async def get(self, booking_id: UUID) -> BookingHistoryEntry | None:
        """The entry as it will be after commit: what this unit of work applied counts,
        unless the store already holds a newer version."""
        ...

    def apply(self, entry: BookingHistoryEntry) -> None:
        """Upsert the entry if it supersedes the stored one (a strictly higher version),
        else ignore it. It may be buffered until the unit of work commits; several versions
        of one booking in one unit of work end as the highest of them."""
        ...

    async def list_for_owner(self, owner_id: UUID, page: PageRequest) -> Page[BookingHistoryEntry]:
        """An owner's bookings, the latest start first (then by booking id), and the total."""
        ...


class AuthUnitOfWork(InboxUnitOfWork, Protocol):
    """The auth context's repositories; the inbox records which events the auth consumer
    has handled (auth subscribes to booking's events)."""

    users: UserRepository
    pets: PetRepository
    refresh_tokens: RefreshTokenRepository
    login_failures: LoginFailureLog
    booking_history: BookingHistoryRepository


AuthUnitOfWorkFactory = Callable[[], AuthUnitOfWork]


class PasswordHasher(Protocol):
    """Deliberately slow hashing: implementations must not block the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """False on a mismatch or a malformed hash; never raises for a wrong password."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID
    roles: frozenset[Role]
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    expires_in: int


class TokenIssuer(Protocol):
    def issue_access_token(
        self, *, user_id: UUID, session_id: UUID, roles: frozenset[Role], now: datetime
    ) -> IssuedAccessToken: ...

    def verify_access_token(self, token: str, *, now: datetime) -> AccessClaims:
        """The claims of a valid access token; InvalidToken for anything else."""
        ...
