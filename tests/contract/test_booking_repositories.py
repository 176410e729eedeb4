"""Contract of the booking ports (pet cache, inbox, unit of work), run against every adapter.

The in-memory adapter is the reference: it applies at once, while SQL buffers until commit
and flushes in one statement. Both must end in the same state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event

from adapters.memory.booking import InMemoryBookingUnitOfWork, in_memory_booking_store
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.ports import BookingUnitOfWork
from petpro_core.shared.ids import new_id

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
OWNER = new_id()
CONSUMER = "booking"

UnitOfWorkFactory = Callable[[], BookingUnitOfWork]


def _memory() -> UnitOfWorkFactory:
    store = in_memory_booking_store()
    return lambda: InMemoryBookingUnitOfWork(store)


def _sql(database: SqlDatabase) -> UnitOfWorkFactory:
    return lambda: SqlBookingUnitOfWork(database)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """A zero-arg factory of fresh units of work on one store (memory, SQLite, PostgreSQL)."""
    if request.param == "memory":
        return _memory()
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return _sql(request.getfixturevalue(fixture))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_database(request: pytest.FixtureRequest) -> SqlDatabase:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return database


def a_pet(pet_id: UUID, version: int, **fields: Any) -> CachedPet:
    defaults: dict[str, Any] = {
        "owner_id": OWNER,
        "name": f"Mochi v{version}",
        "species": "cat",
        "breed": "Shiba-ish",
        "updated_at": T0 + timedelta(minutes=version),
    }
    return CachedPet(pet_id=pet_id, version=version, **{**defaults, **fields})


def a_tombstone(pet_id: UUID, version: int) -> CachedPet:
    return CachedPet.tombstone(
        pet_id=pet_id, owner_id=OWNER, version=version, updated_at=T0 + timedelta(minutes=version)
    )


async def apply_and_commit(uow: UnitOfWorkFactory, *pets: CachedPet) -> None:
    async with uow() as unit:
        for pet in pets:
            unit.pet_cache.apply(pet)
        await unit.commit()


async def stored(uow: UnitOfWorkFactory, pet_id: UUID) -> CachedPet | None:
    async with uow() as unit:
        return await unit.pet_cache.get(pet_id)


# --- pet cache ---------------------------------------------------------------------------


async def test_entries_round_trip_with_every_field(uow: UnitOfWorkFactory) -> None:
    live = a_pet(new_id(), 4, breed=None, name="Ōkami 狼")
    other_owner = a_pet(new_id(), 1, owner_id=new_id(), name="N" * 100, species="s" * 50)
    tombstone = a_tombstone(new_id(), 7)

    await apply_and_commit(uow, live, other_owner, tombstone)

    assert await stored(uow, live.pet_id) == live
    assert await stored(uow, other_owner.pet_id) == other_owner
    assert await stored(uow, tombstone.pet_id) == tombstone
    assert await stored(uow, new_id()) is None


async def test_one_batch_with_several_versions_of_a_pet_keeps_the_highest(
    uow: UnitOfWorkFactory,
) -> None:
    pet_id, other_id = new_id(), new_id()
    async with uow() as unit:
        unit.pet_cache.apply(a_pet(pet_id, 2))
        unit.pet_cache.apply(a_pet(other_id, 1))
        unit.pet_cache.apply(a_pet(pet_id, 3))
        unit.pet_cache.apply(a_pet(pet_id, 1))
        unit.pet_cache.apply(a_pet(pet_id, 3, name="same version, later"))  # not newer
        # The unit of work reads its own writes before they are flushed.
        assert await unit.pet_cache.get(pet_id) == a_pet(pet_id, 3)
        await unit.commit()

    assert await stored(uow, pet_id) == a_pet(pet_id, 3)
    assert await stored(uow, other_id) == a_pet(other_id, 1)


async def test_the_version_guard_holds_across_batches(uow: UnitOfWorkFactory) -> None:
    pet_id = new_id()
    await apply_and_commit(uow, a_pet(pet_id, 3))

    async with uow() as unit:
        unit.pet_cache.apply(a_pet(pet_id, 2))
        unit.pet_cache.apply(a_pet(pet_id, 3, name="same version, later"))
        # What commit will leave: the stored, newer entry.
        assert await unit.pet_cache.get(pet_id) == a_pet(pet_id, 3)
        await unit.commit()
    assert await stored(uow, pet_id) == a_pet(pet_id, 3)

    await apply_and_commit(uow, a_pet(pet_id, 5), a_pet(pet_id, 4))
    assert await stored(uow, pet_id) == a_pet(pet_id, 5)


async def test_a_tombstone_outlives_older_entries(uow: UnitOfWorkFactory) -> None:
    pet_id, early_id = new_id(), new_id()
    await apply_and_commit(uow, a_pet(pet_id, 1), a_tombstone(early_id, 2))
    await apply_and_commit(uow, a_tombstone(pet_id, 3), a_pet(early_id, 1))
    await apply_and_commit(uow, a_pet(pet_id, 2))

    assert await stored(uow, pet_id) == a_tombstone(pet_id, 3)
    assert await stored(uow, early_id) == a_tombstone(early_id, 2)


async def test_entries_not_committed_are_discarded(uow: UnitOfWorkFactory) -> None:
    kept, dropped, abandoned = new_id(), new_id(), new_id()
    async with uow() as unit:
        unit.pet_cache.apply(a_pet(dropped, 1))
        await unit.rollback()
        assert await unit.pet_cache.get(dropped) is None
        unit.pet_cache.apply(a_pet(kept, 1))  # the unit of work goes on after a rollback
        await unit.commit()
    async with uow() as unit:
        unit.pet_cache.apply(a_pet(abandoned, 1))  # left without commit

    assert await stored(uow, kept) == a_pet(kept, 1)
    assert await stored(uow, dropped) is None
    assert await stored(uow, abandoned) is None


# --- inbox -------------------------------------------------------------------------------


async def test_a_claim_answers_only_ids_not_claimed_before(uow: UnitOfWorkFactory) -> None:
    first, second, third = new_id(), new_id(), new_id()
    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, []) == set()
        assert await unit.inbox.claim(CONSUMER, [first, second, first]) == {first, second}
        assert await unit.inbox.claim(CONSUMER, [second]) == set()  # same transaction
        await unit.commit()

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [second, third, third]) == {third}
        # Every consumer has its own record of what it handled.
        assert await unit.inbox.claim("finance", [first]) == {first}
        await unit.commit()


async def test_a_claim_is_rolled_back_with_the_effects(uow: UnitOfWorkFactory) -> None:
    event_id, pet_id = new_id(), new_id()
    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == {event_id}
        unit.pet_cache.apply(a_pet(pet_id, 1))
        # The handler fails here: the batch is left without commit.

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == {event_id}  # redelivered: new
        assert await unit.pet_cache.get(pet_id) is None
        unit.pet_cache.apply(a_pet(pet_id, 1))
        await unit.commit()

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == set()
    assert await stored(uow, pet_id) == a_pet(pet_id, 1)


async def test_pruning_forgets_only_events_handled_before_the_instant(
    uow: UnitOfWorkFactory,
) -> None:
    old = new_id()
    async with uow() as unit:
        await unit.inbox.claim(CONSUMER, [old])
        await unit.commit()
    cutoff = datetime.now(UTC) + timedelta(milliseconds=5)
    await asyncio.sleep(0.01)
    recent = new_id()
    async with uow() as unit:
        await unit.inbox.claim(CONSUMER, [recent])
        await unit.commit()

    async with uow() as unit:
        assert await unit.inbox.prune(cutoff) == 1
        await unit.commit()

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [old, recent]) == {old}


# --- SQL only ----------------------------------------------------------------------------


@contextmanager
def statements_on(database: SqlDatabase) -> Iterator[list[str]]:
    """Every SQL statement the database's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_batch_is_written_in_one_statement(sql_database: SqlDatabase) -> None:
    uow = _sql(sql_database)
    pet_ids = [new_id() for _ in range(40)]
    pets = [
        replace(a_pet(pet_id, v), name=f"{i}") for i, pet_id in enumerate(pet_ids) for v in (2, 1)
    ]

    with statements_on(sql_database) as seen:
        await apply_and_commit(uow, *pets)

    writes = [s for s in seen if "pet_cache" in s]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO booking.pet_cache")
    for i, pet_id in enumerate(pet_ids):
        assert await stored(uow, pet_id) == replace(a_pet(pet_id, 2), name=f"{i}")
