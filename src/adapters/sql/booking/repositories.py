"""SQL repositories of the booking context. They run on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.booking.tables import pet_cache
from petpro_core.booking.domain.pet_cache import CachedPet

ConnectionGetter = Callable[[], AsyncConnection]


def _row_values(pet: CachedPet) -> dict[str, Any]:
    return {
        "pet_id": pet.pet_id,
        "owner_id": pet.owner_id,
        "name": pet.name,
        "species": pet.species,
        "breed": pet.breed,
        "version": pet.version,
        "deleted": pet.deleted,
        "updated_at": pet.updated_at,
    }


def _cached_pet_from(row: Row[Any]) -> CachedPet:
    return CachedPet(
        pet_id=row.pet_id,
        owner_id=row.owner_id,
        name=row.name,
        species=row.species,
        breed=row.breed,
        version=row.version,
        deleted=row.deleted,
        updated_at=row.updated_at,
    )


class SqlPetCacheRepository:
    """`apply` buffers; the unit of work flushes the buffer in one statement before commit.

    The buffer holds the newest entry per pet, so the flush upserts each pet once (one
    statement may not touch a row twice on PostgreSQL); the upsert's WHERE keeps a stored
    entry that is as new or newer, so the projection never goes backwards across batches.
    """

    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection
        self._pending: dict[UUID, CachedPet] = {}

    async def get(self, pet_id: UUID) -> CachedPet | None:
        result = await self._connection().execute(
            select(pet_cache).where(pet_cache.c.pet_id == pet_id)
        )
        row = result.first()
        stored = None if row is None else _cached_pet_from(row)
        pending = self._pending.get(pet_id)
        # What commit will leave: the buffered entry only if it beats the stored one.
        return pending if pending is not None and pending.supersedes(stored) else stored

    def apply(self, pet: CachedPet) -> None:
        if pet.supersedes(self._pending.get(pet.pet_id)):
            self._pending[pet.pet_id] = pet

    async def flush(self) -> None:
        if not self._pending:
            return
        connection = self._connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = insert(pet_cache).values([_row_values(p) for p in self._pending.values()])
        statement = statement.on_conflict_do_update(
            index_elements=[pet_cache.c.pet_id],
            set_={
                column.name: statement.excluded[column.name]
                for column in pet_cache.columns
                if column.name != "pet_id"
            },
            where=pet_cache.c.version < statement.excluded.version,
        )
        await connection.execute(statement)
        self._pending = {}

    def discard(self) -> None:
        self._pending = {}
