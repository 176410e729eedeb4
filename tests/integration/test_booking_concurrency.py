"""No double booking under concurrency: many units of work, each on its own connection, try
to take overlapping slots of one vet at the same moment; exactly one commits, every other
one gets SlotTaken, and nothing else goes wrong.

On PostgreSQL every unit of work has its own engine (so its own connection, none waiting for
a pool) and all of them have begun their transaction before any inserts: the exclusion
constraint alone decides. On SQLite several `SqlDatabase`s on one file stand for several
processes: their IMMEDIATE transactions queue on the file lock, and the overlap check inside
each decides.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase, sqlite_url_in
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.ports import SlotTaken
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

ATTEMPTS = 30
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CREATED = datetime(2026, 5, 20, tzinfo=UTC)


def a_booking(
    vet_id: UUID,
    clinic_id: UUID,
    start: datetime,
    status: BookingStatus = BookingStatus.HELD,
) -> Booking:
    return Booking(
        booking_id=new_id(),
        owner_id=new_id(),
        pet_id=new_id(),
        clinic_id=clinic_id,
        service_id=new_id(),
        vet_id=vet_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start - timedelta(minutes=5),
        blocked_until=start + timedelta(minutes=35),
        price=Money.of("45.00", "EUR"),
        products=(),
        status=status,
        created_at=CREATED,
        updated_at=CREATED,
    )


async def _attempt(
    database: SqlDatabase, booking: Booking, ready: asyncio.Barrier | None, *, new: bool
) -> str:
    """'committed' or 'taken'; any other exception propagates."""
    async with SqlBookingUnitOfWork(database) as unit:
        if ready is not None:
            await unit.bookings.get(booking.booking_id)  # the transaction has begun
            await ready.wait()
        try:
            if new:
                await unit.bookings.add(booking)
            else:
                await unit.bookings.save(booking)
        except SlotTaken:
            await unit.rollback()
            return "taken"
        await unit.commit()
        return "committed"


async def _clinic_bookings(database: SqlDatabase, clinic_id: UUID) -> list[Booking]:
    async with SqlBookingUnitOfWork(database) as unit:
        page = await unit.bookings.list_for_clinic(
            clinic_id, START - timedelta(days=1), START + timedelta(days=1), PageRequest(limit=100)
        )
    return list(page.items)


@pytest.mark.postgres
async def test_of_many_concurrent_bookings_of_one_slot_exactly_one_commits(
    clean_postgres_url: str,
) -> None:
    vet, clinic = new_id(), new_id()
    # Every attempt overlaps every other: they start 0 to 29 seconds apart.
    bookings = [a_booking(vet, clinic, START + timedelta(seconds=i)) for i in range(ATTEMPTS)]
    databases = [SqlDatabase(clean_postgres_url) for _ in bookings]
    ready = asyncio.Barrier(ATTEMPTS)
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(
                    _attempt(database, booking, ready, new=True)
                    for database, booking in zip(databases, bookings, strict=True)
                ),
                return_exceptions=True,
            ),
            timeout=60,
        )
        stored = await _clinic_bookings(databases[0], clinic)
    finally:
        await asyncio.gather(*(database.dispose() for database in databases))

    unexpected = [o for o in outcomes if isinstance(o, BaseException)]
    assert unexpected == []
    assert Counter(outcomes) == {"committed": 1, "taken": ATTEMPTS - 1}
    winner = bookings[outcomes.index("committed")]
    assert stored == [winner]


@pytest.mark.postgres
async def test_of_concurrent_reschedules_onto_one_slot_exactly_one_commits(
    clean_postgres_url: str,
) -> None:
    vet, clinic = new_id(), new_id()
    count = 10
    # Ten confirmed bookings an hour apart, each moved to (nearly) the same slot at once.
    spread = [
        a_booking(vet, clinic, START + timedelta(hours=i), status=BookingStatus.CONFIRMED)
        for i in range(1, count + 1)
    ]
    target = START - timedelta(hours=2)
    moves = [
        booking.reschedule(
            vet_id=vet,
            starts_at=target + timedelta(seconds=i),
            ends_at=target + timedelta(seconds=i, minutes=30),
            blocked_from=target + timedelta(seconds=i, minutes=-5),
            blocked_until=target + timedelta(seconds=i, minutes=35),
            now=CREATED,
        )[0]
        for i, booking in enumerate(spread)
    ]
    databases = [SqlDatabase(clean_postgres_url) for _ in moves]
    try:
        async with SqlBookingUnitOfWork(databases[0]) as unit:
            for booking in spread:
                await unit.bookings.add(booking)
            await unit.commit()
        ready = asyncio.Barrier(count)
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(
                    _attempt(database, booking, ready, new=False)
                    for database, booking in zip(databases, moves, strict=True)
                ),
                return_exceptions=True,
            ),
            timeout=60,
        )
        stored = await _clinic_bookings(databases[0], clinic)
    finally:
        await asyncio.gather(*(database.dispose() for database in databases))

    unexpected = [o for o in outcomes if isinstance(o, BaseException)]
    assert unexpected == []
    assert Counter(outcomes) == {"committed": 1, "taken": count - 1}
    winner = moves[outcomes.index("committed")]
    assert [b for b in stored if b.starts_at < START] == [winner]


async def test_sqlite_writers_in_several_processes_never_double_book(tmp_path: Path) -> None:
    """Each `SqlDatabase` has its own in-process writer lock, like separate processes: only
    SQLite's file lock (BEGIN IMMEDIATE) orders them."""
    from adapters.sql import migrate

    url = sqlite_url_in(tmp_path / "data")
    await asyncio.to_thread(migrate.upgrade, SqlDatabase(url), "booking")
    vet, clinic = new_id(), new_id()
    count = 8
    bookings = [a_booking(vet, clinic, START + timedelta(seconds=i)) for i in range(count)]
    databases = [SqlDatabase(url) for _ in bookings]
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(
                    _attempt(database, booking, None, new=True)
                    for database, booking in zip(databases, bookings, strict=True)
                ),
                return_exceptions=True,
            ),
            timeout=60,
        )
        stored = await _clinic_bookings(databases[0], clinic)
    finally:
        await asyncio.gather(*(database.dispose() for database in databases))

    unexpected = [o for o in outcomes if isinstance(o, BaseException)]
    assert unexpected == []
    assert Counter(outcomes) == {"committed": 1, "taken": count - 1}
    assert stored == [bookings[outcomes.index("committed")]]
