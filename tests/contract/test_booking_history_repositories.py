"""Contract of auth's booking history and inbox, run against every adapter (memory, SQLite,
PostgreSQL).

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

from adapters.memory.auth import InMemoryAuthUnitOfWork, in_memory_auth_store
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase
from petpro_core.auth.domain.booking_history import BookingHistoryEntry, BookingHistoryStatus
from petpro_core.auth.ports import AuthUnitOfWork
from petpro_core.shared.ids import new_id
from petpro_core.shared.pagination import PageRequest

T0 = datetime(2026, 5, 4, 9, 30, 15, 123456, tzinfo=UTC)
OWNER = new_id()
CONSUMER = "auth"

UnitOfWorkFactory = Callable[[], AuthUnitOfWork]


def _memory() -> UnitOfWorkFactory:
    store = in_memory_auth_store()
    return lambda: InMemoryAuthUnitOfWork(store)


def _sql(database: SqlDatabase) -> UnitOfWorkFactory:
    return lambda: SqlAuthUnitOfWork(database)


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


def an_entry(booking_id: UUID, version: int, **fields: Any) -> BookingHistoryEntry:
    starts_at = fields.pop("starts_at", T0 + timedelta(days=version))
    defaults: dict[str, Any] = {
        "owner_id": OWNER,
        "pet_id": new_id(),
        "clinic_id": new_id(),
        "ends_at": starts_at + timedelta(minutes=45),
        "status": BookingHistoryStatus.CONFIRMED,
    }
    return BookingHistoryEntry(
        booking_id=booking_id, version=version, starts_at=starts_at, **{**defaults, **fields}
    )


async def apply_and_commit(uow: UnitOfWorkFactory, *entries: BookingHistoryEntry) -> None:
    async with uow() as unit:
        for entry in entries:
            unit.booking_history.apply(entry)
        await unit.commit()


async def stored(uow: UnitOfWorkFactory, booking_id: UUID) -> BookingHistoryEntry | None:
    async with uow() as unit:
        return await unit.booking_history.get(booking_id)


# --- booking history ---------------------------------------------------------------------


async def test_entries_round_trip_with_every_field(uow: UnitOfWorkFactory) -> None:
    created = an_entry(new_id(), 1, status=BookingHistoryStatus.CREATED)
    cancelled = an_entry(
        new_id(), 4, status=BookingHistoryStatus.CANCELLED, reason="Ōkami is better 狼"
    )
    failed = an_entry(new_id(), 2, owner_id=new_id(), status="failed", reason="r" * 2000)

    await apply_and_commit(uow, created, cancelled, failed)

    assert await stored(uow, created.booking_id) == created
    assert await stored(uow, cancelled.booking_id) == cancelled
    assert await stored(uow, failed.booking_id) == failed
    assert await stored(uow, new_id()) is None


async def test_one_batch_with_several_versions_of_a_booking_keeps_the_highest(
    uow: UnitOfWorkFactory,
) -> None:
    booking_id, other_id = new_id(), new_id()
    newest = an_entry(booking_id, 3, status="cancelled", reason="moved away")
    other = an_entry(other_id, 1)
    async with uow() as unit:
        unit.booking_history.apply(an_entry(booking_id, 2))
        unit.booking_history.apply(other)
        unit.booking_history.apply(newest)
        unit.booking_history.apply(an_entry(booking_id, 1, status="created"))
        unit.booking_history.apply(replace(newest, reason="same version, later"))  # not newer
        # The unit of work reads its own writes before they are flushed.
        assert await unit.booking_history.get(booking_id) == newest
        await unit.commit()

    assert await stored(uow, booking_id) == newest
    assert await stored(uow, other_id) == other


async def test_the_version_guard_holds_across_batches(uow: UnitOfWorkFactory) -> None:
    booking_id = new_id()
    three = an_entry(booking_id, 3)
    await apply_and_commit(uow, three)

    async with uow() as unit:
        unit.booking_history.apply(an_entry(booking_id, 2, status="created"))
        unit.booking_history.apply(replace(three, status=BookingHistoryStatus.CREATED))
        # What commit will leave: the stored entry, as new or newer.
        assert await unit.booking_history.get(booking_id) == three
        await unit.commit()
    assert await stored(uow, booking_id) == three

    five = an_entry(booking_id, 5, status="failed", reason="card declined")
    await apply_and_commit(uow, five, an_entry(booking_id, 4))
    assert await stored(uow, booking_id) == five


async def test_entries_not_committed_are_discarded(uow: UnitOfWorkFactory) -> None:
    kept, dropped, abandoned = new_id(), new_id(), new_id()
    async with uow() as unit:
        unit.booking_history.apply(an_entry(dropped, 1))
        await unit.rollback()
        assert await unit.booking_history.get(dropped) is None
        unit.booking_history.apply(an_entry(kept, 1))  # the unit of work goes on
        await unit.commit()
    async with uow() as unit:
        unit.booking_history.apply(an_entry(abandoned, 1))  # left without commit

    assert await stored(uow, kept) is not None
    assert await stored(uow, dropped) is None
    assert await stored(uow, abandoned) is None


async def test_an_owners_history_lists_the_latest_start_first(uow: UnitOfWorkFactory) -> None:
    same_start = T0 + timedelta(days=2)
    tied = sorted([new_id(), new_id()], reverse=True)  # a tie is broken by booking id
    entries = [
        an_entry(new_id(), 1, starts_at=T0 + timedelta(days=1)),
        an_entry(tied[1], 1, starts_at=same_start),
        an_entry(new_id(), 2, starts_at=T0 + timedelta(days=3), status="created"),
        an_entry(tied[0], 1, starts_at=same_start),
        an_entry(new_id(), 1, starts_at=T0 - timedelta(days=30)),
    ]
    someone_else = an_entry(new_id(), 1, owner_id=new_id(), starts_at=T0 + timedelta(days=9))
    await apply_and_commit(uow, *entries, someone_else)
    expected = [entries[2], entries[3], entries[1], entries[0], entries[4]]

    async with uow() as unit:
        first = await unit.booking_history.list_for_owner(OWNER, PageRequest(limit=2))
        rest = await unit.booking_history.list_for_owner(OWNER, PageRequest(limit=10, offset=2))
        nobody = await unit.booking_history.list_for_owner(new_id(), PageRequest())

    assert (list(first.items), first.total, first.limit, first.offset) == (expected[:2], 5, 2, 0)
    assert (list(rest.items), rest.total, rest.limit, rest.offset) == (expected[2:], 5, 10, 2)
    assert (list(nobody.items), nobody.total) == ([], 0)


async def test_a_listing_sees_what_the_unit_of_work_applied(uow: UnitOfWorkFactory) -> None:
    old = an_entry(new_id(), 1)
    await apply_and_commit(uow, old)
    newer = replace(old, version=2, status=BookingHistoryStatus.CANCELLED, reason="sick")
    added = an_entry(new_id(), 1, starts_at=T0 + timedelta(days=20))
    async with uow() as unit:
        unit.booking_history.apply(newer)
        unit.booking_history.apply(added)
        page = await unit.booking_history.list_for_owner(OWNER, PageRequest())
        assert list(page.items) == [added, newer]
        await unit.rollback()

    async with uow() as unit:
        assert list((await unit.booking_history.list_for_owner(OWNER, PageRequest())).items) == [
            old
        ]


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
        assert await unit.inbox.claim("other", [first]) == {first}
        await unit.commit()


async def test_a_claim_is_rolled_back_with_the_effects(uow: UnitOfWorkFactory) -> None:
    event_id, booking_id = new_id(), new_id()
    entry = an_entry(booking_id, 1)
    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == {event_id}
        unit.booking_history.apply(entry)
        # The handler fails here: the batch is left without commit.

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == {event_id}  # redelivered: new
        assert await unit.booking_history.get(booking_id) is None
        unit.booking_history.apply(entry)
        await unit.commit()

    async with uow() as unit:
        assert await unit.inbox.claim(CONSUMER, [event_id]) == set()
    assert await stored(uow, booking_id) == entry


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
    booking_ids = [new_id() for _ in range(40)]
    entries = [an_entry(booking_id, v) for booking_id in booking_ids for v in (2, 1)]

    with statements_on(sql_database) as seen:
        await apply_and_commit(uow, *entries)

    writes = [s for s in seen if "booking_history" in s]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO auth.booking_history")
    for booking_id, entry in zip(booking_ids, entries[::2], strict=True):
        assert await stored(uow, booking_id) == entry
