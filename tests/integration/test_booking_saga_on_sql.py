"""The booking saga's crash matrix (tests/unit/test_booking_saga.py) with booking's unit of
work on SQLite and PostgreSQL: the orchestrator is killed at every fault point, in every
scenario; a recovery worker (`AdvanceDueSagas`, after the lease or after the hold ran out on
a manual clock) then ends each saga confirmed with exactly one charge, or failed/cancelled
with every charge refunded and no reservation left. Nothing is left unfinished, and booking's
outbox, read back from the database, holds each of the booking's events exactly once.

The gateway, inventory and the directories are the unit tier's fakes; only the booking
store is real, so what this adds is the SQL adapters' part: optimistic saga versions,
leases, aborted transactions and the outbox under a crash between a call and its commit.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from adapters.sql.booking import tables
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.database import SqlDatabase
from petpro_core.booking.commands import AdvanceDueSagas
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.saga import SAGA_FAULT_POINTS
from petpro_core.shared.ids import new_id
from tests.support.booking import BookingWorld, Crash

# The unit tier's scenarios and its settled-state check, reused as they are.
from tests.unit.test_booking_saga import EXPECTED, PAST_LEASES, SCENARIOS, assert_settled
from tests.unit.test_booking_saga import _scenario as run_scenario
from tests.unit.test_booking_saga import recover as recover_on_memory

PAST_THE_HOLD = timedelta(minutes=20)
# How long the clock moves before each recovery round: past the lease, or past the hold.
WAITS = {"lease": PAST_LEASES, "expiry": PAST_THE_HOLD}


@dataclass(kw_only=True)
class SqlBookingWorld(BookingWorld):
    """`BookingWorld` with booking's store on a SQL database; `events` answers the outbox as
    last read by `read_outbox` (rows as {"name", "payload"})."""

    database: SqlDatabase
    outbox_rows: list[dict[str, Any]] = field(default_factory=list)

    def uow(self) -> SqlBookingUnitOfWork:  # type: ignore[override]
        return SqlBookingUnitOfWork(self.database)

    async def read_outbox(self) -> None:
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                select(tables.outbox.c.event_name, tables.outbox.c.payload).order_by(
                    tables.outbox.c.position
                )
            )
            self.outbox_rows = [{"name": r.event_name, "payload": r.payload} for r in rows]

    def events(self, *names: str, booking_id: UUID | None = None) -> list[Any]:
        return [
            row
            for row in self.outbox_rows
            if (not names or row["name"] in names)
            and (booking_id is None or row["payload"].get("booking_id") == str(booking_id))
        ]

    async def unfinished_sagas(self) -> int:
        async with self.database.engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(tables.booking_sagas)
                .where(tables.booking_sagas.c.phase != "finished")
            )
        return int(count or 0)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> SqlDatabase:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    sql: SqlDatabase = request.getfixturevalue(fixture)
    return sql


async def recover(world: SqlBookingWorld, *, wait: timedelta) -> None:
    """The recovery worker, run until no saga is unfinished, the clock moving `wait` before
    each round; a worker that crashes is started again."""
    for _ in range(30):
        if await world.unfinished_sagas() == 0:
            return
        world.clock.advance(wait)
        with contextlib.suppress(Crash):
            await world.bus.execute(AdvanceDueSagas(limit=100))
    raise AssertionError("sagas did not finish")


EVENTS_BY_STATUS = {
    BookingStatus.CONFIRMED: "booking.confirmed",
    BookingStatus.FAILED: "booking.failed",
    BookingStatus.CANCELLED: "booking.cancelled",
}


async def assert_settled_on_sql(world: SqlBookingWorld, booking_id: UUID) -> Booking:
    """The unit tier's check (saga finished, one charge or everything refunded, nothing
    reserved that should not be, payment events matching the gateway), on the stored outbox;
    plus: booking.created and the end state's event exactly once, no other end state's."""
    await world.read_outbox()
    booking = await assert_settled(world, booking_id)
    names = Counter(row["name"] for row in world.events(booking_id=booking_id))
    assert names["booking.created"] == 1
    # The end state's event once; a cancelled booking may have been confirmed before.
    for status, name in EVENTS_BY_STATUS.items():
        if booking.status == status:
            assert names[name] == 1, (booking.status, names)
        elif (booking.status, status) == (BookingStatus.CANCELLED, BookingStatus.CONFIRMED):
            assert names[name] <= 1, (booking.status, names)
        else:
            assert names[name] == 0, (booking.status, names)
    assert names["payment.processed"] <= 1 and names["payment.refunded"] <= 1
    return booking


async def crash_and_recover(
    database: SqlDatabase, scenario: str, point: str, wait: str
) -> list[str]:
    """Kill the orchestrator at `point` during `scenario`; recover; check the end state.
    Answers the fault points that fired."""
    world = SqlBookingWorld(database=database, quick_retries=0)
    setup = await world.add_clinic()
    booking_id = new_id()
    world.faults.arm(point)

    with contextlib.suppress(Crash):
        await run_scenario(world, scenario, setup, booking_id)
    # Left unfinished: crashed, or waiting out a backoff (the timeout token).
    unfinished = await world.unfinished_sagas() > 0

    await recover(world, wait=WAITS[wait])
    booking = await assert_settled_on_sql(world, booking_id)
    if wait == "expiry" and unfinished and booking.status != EXPECTED[scenario]:
        # The hold ran out before a new orchestrator came: failed, everything given back.
        assert (booking.status, booking.failure_reason) == (BookingStatus.FAILED, "expired")
    else:
        assert booking.status == EXPECTED[scenario]
    assert await world.unfinished_sagas() == 0
    return world.faults.fired


async def fired_on_memory(scenario: str) -> set[str]:
    """The fault points that fire in `scenario` (each armed in turn, recovered after either
    wait) on the in-memory store."""
    fired: set[str] = set()
    for point in sorted(SAGA_FAULT_POINTS):
        for wait in WAITS.values():
            world = BookingWorld(quick_retries=0)
            setup = await world.add_clinic()
            world.faults.arm(point)
            with contextlib.suppress(Crash):
                await run_scenario(world, scenario, setup, new_id())
            await recover_on_memory(world, wait=wait)
            fired |= set(world.faults.fired)
    return fired


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_a_crash_at_any_point_leaves_nothing_orphaned_on_sql(
    database: SqlDatabase, scenario: str, subtests: pytest.Subtests
) -> None:
    """Every fault point, recovered after the lease or after the hold: one subtest each, on
    one database (cases use their own clinic and fakes, and each leaves no saga unfinished)."""
    fired: set[str] = set()
    for point in sorted(SAGA_FAULT_POINTS):
        for wait in WAITS:
            with subtests.test(point=point, wait=wait):
                fired |= set(await crash_and_recover(database, scenario, point, wait))
    # The store changes nothing about where the saga goes: the same points fired as on
    # the in-memory store (so no case passed without its crash).
    assert fired == await fired_on_memory(scenario)
