"""In-memory adapters of the auth context's repositories and unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from adapters.memory.inbox import HandledEvents, InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.auth.domain.booking_history import BookingHistoryEntry
from petpro_core.auth.domain.errors import (
    ConcurrentUpdate,
    EmailAlreadyRegistered,
    MicrochipAlreadyRegistered,
)
from petpro_core.auth.domain.pets import Pet
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.sessions import RefreshToken
from petpro_core.auth.domain.throttling import FailureWindow
from petpro_core.auth.domain.users import User
from petpro_core.auth.ports import (
    BookingHistoryRepository,
    LoginFailureLog,
    PetRepository,
    RefreshTokenRepository,
    UserRepository,
)
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.subscriptions import Inbox


@dataclass
class AuthState:
    users: dict[UUID, User] = field(default_factory=dict)
    pets: dict[UUID, Pet] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    login_failures: dict[str, list[datetime]] = field(default_factory=dict)
    booking_history: dict[UUID, BookingHistoryEntry] = field(default_factory=dict)
    # (consumer, event id) → when it was handled
    inbox: HandledEvents = field(default_factory=dict)

    def clone(self) -> AuthState:
        return AuthState(
            users=dict(self.users),
            pets=dict(self.pets),
            refresh_tokens=dict(self.refresh_tokens),
            login_failures={key: list(times) for key, times in self.login_failures.items()},
            booking_history=dict(self.booking_history),
            inbox=dict(self.inbox),
        )


def _page(items: list[object], page: PageRequest) -> list[object]:
    return items[page.offset : page.offset + page.limit]


class InMemoryUserRepository:
    def __init__(self, state: AuthState) -> None:
        self._users = state.users
        self._tokens = state.refresh_tokens

    async def add(self, user: User) -> None:
        if any(u.email.lower() == user.email.lower() for u in self._users.values()):
            raise EmailAlreadyRegistered("this e-mail is already registered")
        self._users[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self._users.get(user_id)

    async def get_in_active_session(self, user_id: UUID, family_id: UUID) -> User | None:
        active = any(
            t.family_id == family_id and t.user_id == user_id and not t.is_spent()
            for t in self._tokens.values()
        )
        return self._users.get(user_id) if active else None

    async def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._users.values() if u.email.lower() == email.lower()), None)

    async def update(self, user: User, *, expected_version: int) -> None:
        current = self._users.get(user.id)
        if current is None or current.version != expected_version:
            raise ConcurrentUpdate("the user was changed concurrently")
        self._users[user.id] = user

    async def list(self, page: PageRequest) -> tuple[Sequence[User], int]:
        ordered = sorted(self._users.values(), key=lambda u: (u.created_at, u.id))
        return _page(ordered, page), len(ordered)  # type: ignore[arg-type, return-value]

    async def count_with_role(self, role: Role) -> int:
        return sum(1 for u in self._users.values() if role in u.roles)


class InMemoryPetRepository:
    def __init__(self, state: AuthState) -> None:
        self._pets = state.pets

    def _check_microchip(self, pet: Pet) -> None:
        if pet.microchip is not None and any(
            other.microchip == pet.microchip and other.id != pet.id for other in self._pets.values()
        ):
            raise MicrochipAlreadyRegistered("this microchip is already registered")

    async def add(self, pet: Pet) -> None:
        self._check_microchip(pet)
        self._pets[pet.id] = pet

    async def get(self, pet_id: UUID) -> Pet | None:
        return self._pets.get(pet_id)

    async def update(self, pet: Pet, *, expected_version: int) -> None:
        current = self._pets.get(pet.id)
        if current is None or current.version != expected_version:
            raise ConcurrentUpdate("the pet was changed concurrently")
        self._check_microchip(pet)
        self._pets[pet.id] = pet

    async def delete(self, pet_id: UUID) -> None:
        self._pets.pop(pet_id, None)

    async def list(self, page: PageRequest, *, owner_id: UUID | None) -> tuple[Sequence[Pet], int]:
        ordered = sorted(
            (p for p in self._pets.values() if owner_id is None or p.owner_id == owner_id),
            key=lambda p: (p.created_at, p.id),
        )
        return _page(ordered, page), len(ordered)  # type: ignore[arg-type, return-value]


class InMemoryRefreshTokenRepository:
    def __init__(self, state: AuthState) -> None:
        self._tokens = state.refresh_tokens

    async def add(self, token: RefreshToken) -> None:
        self._tokens[token.token_hash] = token

    async def get(self, token_hash: str) -> RefreshToken | None:
        return self._tokens.get(token_hash)

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        token = self._tokens.get(token_hash)
        if token is None or token.is_spent():
            return False
        self._tokens[token_hash] = replace(token, used_at=at)
        return True

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        self._revoke_where(lambda t: t.family_id == family_id, at)

    async def revoke_all_of_user(self, user_id: UUID, at: datetime) -> None:
        self._revoke_where(lambda t: t.user_id == user_id, at)

    def _revoke_where(self, matches: object, at: datetime) -> None:
        for key, token in list(self._tokens.items()):
            if matches(token) and token.revoked_at is None:  # type: ignore[operator]
                self._tokens[key] = replace(token, revoked_at=at)


class InMemoryLoginFailureLog:
    def __init__(self, state: AuthState) -> None:
        self._failures = state.login_failures

    async def record(self, key: str, at: datetime) -> None:
        self._failures.setdefault(key, []).append(at)

    async def window(self, key: str, since: datetime) -> FailureWindow:
        inside = [at for at in self._failures.get(key, []) if at > since]
        return FailureWindow(count=len(inside), oldest=min(inside, default=None))

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    async def prune(self, before: datetime) -> None:
        for key in list(self._failures):
            kept = [at for at in self._failures[key] if at > before]
            if kept:
                self._failures[key] = kept
            else:
                del self._failures[key]


class InMemoryBookingHistoryRepository:
    """Applies at once (the version check included); the SQL one buffers until commit."""

    def __init__(self, state: AuthState) -> None:
        self._history = state.booking_history

    async def get(self, booking_id: UUID) -> BookingHistoryEntry | None:
        return self._history.get(booking_id)

    def apply(self, entry: BookingHistoryEntry) -> None:
        if entry.supersedes(self._history.get(entry.booking_id)):
            self._history[entry.booking_id] = entry

    async def list_for_owner(self, owner_id: UUID, page: PageRequest) -> Page[BookingHistoryEntry]:
        ordered = sorted(
            (e for e in self._history.values() if e.owner_id == owner_id),
            key=lambda e: (e.starts_at, e.booking_id),
            reverse=True,
        )
        return Page(
            items=ordered[page.offset : page.offset + page.limit],
            total=len(ordered),
            limit=page.limit,
            offset=page.offset,
        )


class InMemoryAuthUnitOfWork(InMemoryUnitOfWork[AuthState]):
    users: UserRepository
    pets: PetRepository
    refresh_tokens: RefreshTokenRepository
    login_failures: LoginFailureLog
    booking_history: BookingHistoryRepository
    inbox: Inbox

    def _bind(self, working: AuthState) -> None:
        self.users = InMemoryUserRepository(working)
        self.pets = InMemoryPetRepository(working)
        self.refresh_tokens = InMemoryRefreshTokenRepository(working)
        self.login_failures = InMemoryLoginFailureLog(working)
        self.booking_history = InMemoryBookingHistoryRepository(working)
        self.inbox = InMemoryInbox(working.inbox)


def in_memory_auth_store() -> InMemoryStore[AuthState]:
    return InMemoryStore(state=AuthState())
