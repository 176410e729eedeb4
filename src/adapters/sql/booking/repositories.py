"""SQL repositories of the booking context. They run on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.sqlite import Insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.booking.tables import pet_cache
from adapters.sql.statements import Statement
from petpro_core.booking.domain.pet_cache import CachedPet

ConnectionGetter = Callable[[], AsyncConnection]

_GET_PET = Statement(select(pet_cache).where(pet_cache.c.pet_id == bindparam("pet_id")))


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


def _cached_pet_from(row: Any) -> CachedPet:
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


# PostgreSQL: one fixed statement whatever the batch size (one array per column), so it is
# compiled once; a multi-row VALUES would be compiled anew for every batch size, which was
# the consumer's largest cost.
_UPSERT_FROM_ARRAYS = text(
    """
    INSERT INTO booking.pet_cache AS stored
        (pet_id, owner_id, name, species, breed, version, deleted, updated_at)
    SELECT * FROM unnest(
        CAST(:pet_ids AS uuid[]), CAST(:owner_ids AS uuid[]), CAST(:names AS varchar[]),
        CAST(:species AS varchar[]), CAST(:breeds AS varchar[]), CAST(:versions AS int[]),
        CAST(:deleted AS boolean[]), CAST(:updated_at AS timestamptz[]))
    ON CONFLICT (pet_id) DO UPDATE SET
        owner_id = excluded.owner_id, name = excluded.name, species = excluded.species,
        breed = excluded.breed, version = excluded.version, deleted = excluded.deleted,
        updated_at = excluded.updated_at
    WHERE stored.version < excluded.version
    """
)


def _as_arrays(pets: list[CachedPet]) -> dict[str, list[Any]]:
    return {
        "pet_ids": [p.pet_id for p in pets],
        "owner_ids": [p.owner_id for p in pets],
        "names": [p.name for p in pets],
        "species": [p.species for p in pets],
        "breeds": [p.breed for p in pets],
        "versions": [p.version for p in pets],
        "deleted": [p.deleted for p in pets],
        "updated_at": [p.updated_at for p in pets],
    }


def _upsert_rows(pets: list[CachedPet]) -> Insert:
    """SQLite: a multi-row VALUES upsert."""
    statement = sqlite_insert(pet_cache).values([_row_values(p) for p in pets])
    return statement.on_conflict_do_update(
        index_elements=[pet_cache.c.pet_id],
        set_={
            column.name: statement.excluded[column.name]
            for column in pet_cache.columns
            if column.name != "pet_id"
        },
        where=pet_cache.c.version < statement.excluded.version,
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
        row = (await _GET_PET.execute(self._connection(), {"pet_id": pet_id})).first()
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
        pets = list(self._pending.values())
        if connection.dialect.name == "postgresql":
            await connection.execute(_UPSERT_FROM_ARRAYS, _as_arrays(pets))
        else:
            await connection.execute(_upsert_rows(pets))
        self._pending = {}

    def discard(self) -> None:
        self._pending = {}
