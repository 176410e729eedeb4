"""SQL repositories of the auth context. They run on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Row,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.auth.tables import (
    PETS_MICROCHIP_UNIQUE,
    USERS_EMAIL_UNIQUE,
    login_failures,
    pets,
    refresh_tokens,
    users,
)
from adapters.sql.column_types import UtcDateTime
from adapters.sql.errors import violates
from adapters.sql.statements import Statement
from petpro_core.auth.domain.errors import (
    ConcurrentUpdate,
    EmailAlreadyRegistered,
    MicrochipAlreadyRegistered,
)
from petpro_core.auth.domain.pets import Pet, Sex, Species
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.sessions import RefreshToken
from petpro_core.auth.domain.throttling import FailureWindow
from petpro_core.auth.domain.users import Language, User
from petpro_core.shared.pagination import PageRequest

ConnectionGetter = Callable[[], AsyncConnection]

_EMAIL_MARKERS = (USERS_EMAIL_UNIQUE, "users.email")
_MICROCHIP_MARKERS = (PETS_MICROCHIP_UNIQUE, "pets.microchip")
_GET_USER = Statement(select(users).where(users.c.id == bindparam("user_id")))
# Every authenticated request: its user, while the token's session is theirs and active.
_USER_IN_ACTIVE_SESSION = Statement(
    select(users).where(
        users.c.id == bindparam("user_id"),
        exists().where(
            refresh_tokens.c.family_id == bindparam("family_id"),
            refresh_tokens.c.user_id == users.c.id,
            refresh_tokens.c.used_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
        ),
    )
)


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()


# --- users -------------------------------------------------------------------------------


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "password_hash": user.password_hash,
        "roles": sorted(role.value for role in user.roles),
        "language": user.language.value,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
    }


def _user_from(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        roles=frozenset(Role(role) for role in row.roles),
        language=Language(row.language),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlUserRepository(_SqlRepository):
    async def add(self, user: User) -> None:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(insert(users).values(_user_values(user)))
        except IntegrityError as exc:
            if violates(exc, *_EMAIL_MARKERS):
                raise EmailAlreadyRegistered("this e-mail is already registered") from None
            raise

    async def get(self, user_id: UUID) -> User | None:
        row = (await _GET_USER.execute(self.connection, {"user_id": user_id})).first()
        return None if row is None else _user_from(row)

    async def get_in_active_session(self, user_id: UUID, family_id: UUID) -> User | None:
        found = await _USER_IN_ACTIVE_SESSION.execute(
            self.connection, {"user_id": user_id, "family_id": family_id}
        )
        row = found.first()
        return None if row is None else _user_from(row)

    async def get_by_email(self, email: str) -> User | None:
        statement = select(users).where(func.lower(users.c.email) == email.lower())
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _user_from(row)

    async def update(self, user: User, *, expected_version: int) -> None:
        values = _user_values(user)
        del values["id"]
        statement = (
            update(users)
            .where(users.c.id == user.id, users.c.version == expected_version)
            .values(values)
        )
        try:
            async with self.connection.begin_nested():
                result = await self.connection.execute(statement)
        except IntegrityError as exc:
            if violates(exc, *_EMAIL_MARKERS):
                raise EmailAlreadyRegistered("this e-mail is already registered") from None
            raise
        if result.rowcount != 1:
            raise ConcurrentUpdate("the user was changed concurrently")

    async def list(self, page: PageRequest) -> tuple[Sequence[User], int]:
        statement = (
            select(users)
            .order_by(users.c.created_at, users.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = (await self.connection.execute(statement)).all()
        count = select(func.count()).select_from(users)
        total = (await self.connection.execute(count)).scalar_one()
        return [_user_from(row) for row in rows], total

    async def count_with_role(self, role: Role) -> int:
        connection = self.connection
        if connection.dialect.name == "postgresql":
            statement = (
                select(func.count())
                .select_from(users)
                .where(
                    type_coerce(users.c.roles, JSONB).contains([role.value])  # jsonb @>
                )
            )
            return (await connection.execute(statement)).scalar_one()
        result = await connection.execute(
            text(
                "SELECT count(*) FROM auth.users AS u WHERE EXISTS "
                "(SELECT 1 FROM json_each(u.roles) AS r WHERE r.value = :role)"
            ),
            {"role": role.value},
        )
        return int(result.scalar_one())


# --- pets --------------------------------------------------------------------------------


def _pet_values(pet: Pet) -> dict[str, Any]:
    return {
        "id": pet.id,
        "owner_id": pet.owner_id,
        "name": pet.name,
        "species": pet.species.value,
        "breed": pet.breed,
        "sex": pet.sex.value,
        "date_of_birth": pet.date_of_birth,
        "weight_kg": pet.weight_kg,
        "microchip": pet.microchip,
        "notes": pet.notes,
        "created_at": pet.created_at,
        "updated_at": pet.updated_at,
        "version": pet.version,
    }


def _pet_from(row: Row[Any]) -> Pet:
    return Pet(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        species=Species(row.species),
        breed=row.breed,
        sex=Sex(row.sex),
        date_of_birth=row.date_of_birth,
        weight_kg=row.weight_kg,
        microchip=row.microchip,
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlPetRepository(_SqlRepository):
    async def add(self, pet: Pet) -> None:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(insert(pets).values(_pet_values(pet)))
        except IntegrityError as exc:
            if violates(exc, *_MICROCHIP_MARKERS):
                raise MicrochipAlreadyRegistered("this microchip is already registered") from None
            raise

    async def get(self, pet_id: UUID) -> Pet | None:
        row = (await self.connection.execute(select(pets).where(pets.c.id == pet_id))).first()
        return None if row is None else _pet_from(row)

    async def update(self, pet: Pet, *, expected_version: int) -> None:
        values = _pet_values(pet)
        del values["id"]
        statement = (
            update(pets)
            .where(pets.c.id == pet.id, pets.c.version == expected_version)
            .values(values)
        )
        try:
            async with self.connection.begin_nested():
                result = await self.connection.execute(statement)
        except IntegrityError as exc:
            if violates(exc, *_MICROCHIP_MARKERS):
                raise MicrochipAlreadyRegistered("this microchip is already registered") from None
            raise
        if result.rowcount != 1:
            raise ConcurrentUpdate("the pet was changed concurrently")

    async def delete(self, pet_id: UUID) -> None:
        await self.connection.execute(delete(pets).where(pets.c.id == pet_id))

    async def list(self, page: PageRequest, *, owner_id: UUID | None) -> tuple[Sequence[Pet], int]:
        conditions = [] if owner_id is None else [pets.c.owner_id == owner_id]
        statement = (
            select(pets)
            .where(*conditions)
            .order_by(pets.c.created_at, pets.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = (await self.connection.execute(statement)).all()
        count = select(func.count()).select_from(pets).where(*conditions)
        total = (await self.connection.execute(count)).scalar_one()
        return [_pet_from(row) for row in rows], total


# --- refresh tokens ----------------------------------------------------------------------


def _token_from(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row.token_hash,
        family_id=row.family_id,
        user_id=row.user_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlRefreshTokenRepository(_SqlRepository):
    async def add(self, token: RefreshToken) -> None:
        await self.connection.execute(
            insert(refresh_tokens).values(
                token_hash=token.token_hash,
                family_id=token.family_id,
                user_id=token.user_id,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                revoked_at=token.revoked_at,
            )
        )

    async def get(self, token_hash: str) -> RefreshToken | None:
        statement = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _token_from(row)

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        statement = (
            update(refresh_tokens)
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.used_at.is_(None),
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        return (await self.connection.execute(statement)).rowcount == 1

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        await self.connection.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_all_of_user(self, user_id: UUID, at: datetime) -> None:
        await self.connection.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )


# --- login failures ----------------------------------------------------------------------


class SqlLoginFailureLog(_SqlRepository):
    async def record(self, key: str, at: datetime) -> None:
        await self.connection.execute(insert(login_failures).values(key=key, at=at))

    async def window(self, key: str, since: datetime) -> FailureWindow:
        statement = select(func.count(), func.min(login_failures.c.at, type_=UtcDateTime())).where(
            login_failures.c.key == key, login_failures.c.at > since
        )
        count, oldest = (await self.connection.execute(statement)).one()
        return FailureWindow(count=count, oldest=oldest)

    async def clear(self, key: str) -> None:
        await self.connection.execute(delete(login_failures).where(login_failures.c.key == key))

    async def prune(self, before: datetime) -> None:
        await self.connection.execute(delete(login_failures).where(login_failures.c.at <= before))
