"""Contract of the OutboxStore port (the relay's side of an outbox), run against every
adapter: memory, SQLite and PostgreSQL. Events are committed through the auth context's
real units of work."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import update

from adapters.codec.cloudevents import decode_cloudevent
from adapters.codec.events import encode_payload
from adapters.memory.auth import InMemoryAuthUnitOfWork, in_memory_auth_store
from adapters.memory.outbox_store import InMemoryOutboxStore
from adapters.messaging.ports import OutboxStore
from adapters.messaging.types import OutboxRecord, RelayCheckpoint
from adapters.sql.auth import tables
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox import write_outbox
from adapters.sql.outbox_store import SqlOutboxStore
from petpro_core.contracts.auth import UserCreated
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.tracing import MessageContext, message_context
from tests.support.servers import libpq_url

POLL_SECONDS = 0.05
QUICK_SECONDS = 0.5  # "at once", with room for a slow machine


@dataclass
class Outbox:
    """A store under test, and ways to commit events to its outbox."""

    store: OutboxStore
    # Another store on the same outbox, as a second relay would have.
    another_store: Callable[[], OutboxStore]
    commit_here: Callable[[list[Event]], Awaitable[None]]
    # From another connection, not announced in this process (None: memory has no other).
    commit_elsewhere: Callable[[list[Event]], Awaitable[None]] | None = None
    database: SqlDatabase | None = None

    async def commit(self, *events: Event) -> None:
        await self.commit_here(list(events))


def a_user_created(number: int = 0) -> UserCreated:
    user_id = new_id()
    return UserCreated(
        occurred_at=datetime(2026, 3, 1, 12, 0, number, 123456, tzinfo=UTC),
        aggregate_version=1,
        user_id=user_id,
        email=f"user{number}@example.com",
        display_name=f"User {number}",
        roles=("pet_owner",),
        language="en",
    )


def events(count: int) -> list[Event]:
    return [a_user_created(number) for number in range(count)]


def committer(make_uow: Callable[[], Any]) -> Callable[[list[Event]], Awaitable[None]]:
    async def commit(events: list[Event]) -> None:
        async with make_uow() as uow:
            uow.record(*events)
            await uow.commit()

    return commit


@asynccontextmanager
async def sql_outbox(database: SqlDatabase) -> AsyncIterator[Outbox]:
    # A second SqlDatabase on the same data stands in for another process.
    other = SqlDatabase(database.async_url.render_as_string(hide_password=False))
    outbox = Outbox(
        SqlOutboxStore(database, tables.outbox, "auth", poll_seconds=POLL_SECONDS),
        lambda: SqlOutboxStore(database, tables.outbox, "auth"),
        committer(lambda: SqlAuthUnitOfWork(database)),
        committer(lambda: SqlAuthUnitOfWork(other)),
        database,
    )
    try:
        yield outbox
    finally:
        await outbox.store.close()
        await other.dispose()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> SqlDatabase | None:
    """None for the memory store."""
    if request.param == "memory":
        return None
    result: SqlDatabase = request.getfixturevalue(f"{request.param}_database")
    return result


@pytest.fixture
async def outbox(database: SqlDatabase | None) -> AsyncIterator[Outbox]:
    if database is None:
        store = in_memory_auth_store()
        yield Outbox(
            InMemoryOutboxStore(store, "auth"),
            lambda: InMemoryOutboxStore(store, "auth"),
            committer(lambda: InMemoryAuthUnitOfWork(store)),
        )
        return
    async with sql_outbox(database) as under_test:
        yield under_test


@pytest.fixture
async def pg_outbox(postgres_database: SqlDatabase) -> AsyncIterator[Outbox]:
    async with sql_outbox(postgres_database) as under_test:
        yield under_test


async def claim_and_mark(store: OutboxStore, limit: int = 100) -> list[OutboxRecord]:
    async with store.claim(limit) as batch:
        await batch.mark_published()
    return list(batch.records)


async def claimed_ids(store: OutboxStore, limit: int = 100) -> list[Any]:
    """The ids a claim would take, leaving them unpublished."""
    async with store.claim(limit) as batch:
        return [record.event_id for record in batch.records]


def ids(items: list[Event]) -> list[Any]:
    return [item.event_id for item in items]


async def elapsed(wait: Awaitable[None]) -> float:
    started = time.monotonic()
    await wait
    return time.monotonic() - started


# --- claiming -----------------------------------------------------------------------------


async def test_a_claim_takes_the_oldest_unpublished_rows_up_to_the_limit(outbox: Outbox) -> None:
    first, second = events(3), events(2)
    await outbox.commit(*first)
    await outbox.commit(*second)

    async with outbox.store.claim(4) as batch:
        records = list(batch.records)

    assert [r.event_id for r in records] == ids(first + second)[:4]
    positions = [r.position for r in records]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert {(r.topic, r.event_type) for r in records} == {
        ("user.created", "petpro.user.created.v1")
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_database(request: pytest.FixtureRequest) -> SqlDatabase:
    """SQL outboxes store each row's CloudEvent (the memory one builds it on claim)."""
    result: SqlDatabase = request.getfixturevalue(f"{request.param}_database")
    return result


@pytest.fixture
async def sql_only_outbox(sql_database: SqlDatabase) -> AsyncIterator[Outbox]:
    async with sql_outbox(sql_database) as under_test:
        yield under_test


async def test_rows_from_before_stored_envelopes_get_the_same_cloudevent(
    sql_only_outbox: Outbox,
) -> None:
    outbox = sql_only_outbox
    assert outbox.database is not None
    with message_context(MessageContext.start("req-7")):
        await outbox.commit(*events(2))
    stored = await claimed_bodies(outbox.store)
    async with outbox.database.engine.begin() as connection:  # as migration 0004 left them
        await connection.execute(update(tables.outbox).values(envelope=None))

    rebuilt = await claimed_bodies(outbox.store)

    # The same CloudEvent (PostgreSQL's JSONB gives the payload back with other spacing).
    assert [json.loads(body) for body in rebuilt] == [json.loads(body) for body in stored]
    assert json.loads(stored[0])["correlationid"] == "req-7"


async def test_the_relay_checkpoint_is_kept(outbox: Outbox) -> None:
    assert await outbox.store.load_checkpoint() is None
    first = datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    await outbox.store.save_checkpoint(RelayCheckpoint(first, None))
    later = RelayCheckpoint(first + timedelta(seconds=30), "run-1/epoch-2")
    await outbox.store.save_checkpoint(later)

    assert await outbox.store.load_checkpoint() == later
    assert await outbox.another_store().load_checkpoint() == later


async def claimed_bodies(store: OutboxStore) -> list[bytes]:
    async with store.claim(100) as batch:
        return [record.body for record in batch.records]


async def test_leaving_a_claim_without_marking_leaves_the_rows_unpublished(outbox: Outbox) -> None:
    committed = events(2)
    await outbox.commit(*committed)

    assert await claimed_ids(outbox.store) == ids(committed)
    assert await claimed_ids(outbox.store) == ids(committed)


async def test_marked_rows_are_not_claimed_again(outbox: Outbox) -> None:
    committed = events(5)
    await outbox.commit(*committed)

    assert [r.event_id for r in await claim_and_mark(outbox.store, 3)] == ids(committed)[:3]
    assert await claimed_ids(outbox.store) == ids(committed)[3:]
    await claim_and_mark(outbox.store)
    assert await claimed_ids(outbox.store) == []


async def test_an_error_inside_the_claim_leaves_the_rows_unpublished(outbox: Outbox) -> None:
    committed = events(2)
    await outbox.commit(*committed)

    with pytest.raises(RuntimeError, match="broker down"):
        async with outbox.store.claim(10) as batch:
            await batch.mark_published()
            raise RuntimeError("broker down")

    assert await claimed_ids(outbox.store) == ids(committed)


async def test_an_empty_claim_is_an_empty_batch(outbox: Outbox) -> None:
    async with outbox.store.claim(10) as batch:
        await batch.mark_published()
    assert list(batch.records) == []
    await outbox.commit(*events(1))
    assert len(await claimed_ids(outbox.store)) == 1


async def test_the_body_is_the_events_cloudevent_with_its_message_context(outbox: Outbox) -> None:
    context = MessageContext.start(correlation_id="checkout-42")
    event = a_user_created(7)
    with message_context(context):
        await outbox.commit(event)
    plain = a_user_created(8)
    await outbox.commit(plain)

    traced, untraced = await claimed_records(outbox.store)

    body = json.loads(traced.body)
    assert body["specversion"] == "1.0"
    assert body["id"] == str(event.event_id)
    assert body["type"] == "petpro.user.created.v1"
    assert body["source"] == "/petpro/auth"
    assert body["subject"] == str(event.user_id)
    assert body["time"] == "2026-03-01T12:00:07.123456Z"
    assert body["data"] == encode_payload(event)
    assert body["correlationid"] == "checkout-42"
    assert body["traceparent"] == context.traceparent
    received = decode_cloudevent(traced.body)
    assert received.event == event
    assert received.context.correlation_id == "checkout-42"

    other = json.loads(untraced.body)
    assert other["id"] == str(plain.event_id)
    assert "correlationid" not in other and "traceparent" not in other


async def claimed_records(store: OutboxStore) -> list[OutboxRecord]:
    async with store.claim(10) as batch:
        return list(batch.records)


# --- status, retention, replay ---------------------------------------------------------------


async def test_status_counts_pending_and_published_rows(outbox: Outbox) -> None:
    empty = await outbox.store.status()
    assert (empty.context, empty.pending, empty.oldest_pending_at, empty.published) == (
        "auth",
        0,
        None,
        0,
    )

    before = datetime.now(UTC)
    await outbox.commit(*events(2))
    after_first = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await outbox.commit(*events(2))
    await claim_and_mark(outbox.store, 1)

    status = await outbox.store.status()
    assert (status.pending, status.published) == (3, 1)
    assert status.oldest_pending_at is not None
    # The oldest pending row is from the first commit.
    assert before <= status.oldest_pending_at <= after_first


async def published_in_two_rounds(outbox: Outbox) -> tuple[list[Event], datetime, list[Event]]:
    """Publishes `early`, then `late`, answering an instant between their publications."""
    early, late = events(2), events(3)
    await outbox.commit(*early)
    await claim_and_mark(outbox.store)
    await asyncio.sleep(0.005)
    between = datetime.now(UTC)
    await asyncio.sleep(0.005)
    await outbox.commit(*late)
    await claim_and_mark(outbox.store)
    return early, between, late


async def test_prune_deletes_rows_published_before_the_instant(outbox: Outbox) -> None:
    _early, between, late = await published_in_two_rounds(outbox)
    pending = events(1)
    await outbox.commit(*pending)

    assert await outbox.store.prune(between) == 2
    assert await outbox.store.prune(between) == 0

    status = await outbox.store.status()
    assert (status.pending, status.published) == (1, len(late))
    assert await outbox.store.prune(datetime.now(UTC) + timedelta(seconds=1)) == len(late)
    assert await claimed_ids(outbox.store) == ids(pending)  # unpublished rows are kept


async def test_requeue_makes_rows_published_since_the_instant_unpublished(outbox: Outbox) -> None:
    _early, between, late = await published_in_two_rounds(outbox)

    assert await outbox.store.requeue(between) == len(late)

    assert await claimed_ids(outbox.store) == ids(late)
    status = await outbox.store.status()
    assert (status.pending, status.published) == (len(late), 2)
    assert [r.event_id for r in await claim_and_mark(outbox.store)] == ids(late)
    assert await outbox.store.requeue(datetime.now(UTC) + timedelta(seconds=1)) == 0


# --- waking up ------------------------------------------------------------------------------


async def test_wait_for_new_returns_after_the_seconds_when_nothing_happens(
    outbox: Outbox,
) -> None:
    await claimed_ids(outbox.store)
    took = await elapsed(outbox.store.wait_for_new(0.3))
    assert 0.25 <= took < 0.3 + QUICK_SECONDS


def commits(outbox: Outbox) -> list[Callable[[list[Event]], Awaitable[None]]]:
    """Committing in this process and, where there is one, from another connection."""
    return [c for c in (outbox.commit_here, outbox.commit_elsewhere) if c is not None]


async def test_wait_for_new_returns_at_once_on_a_commit(outbox: Outbox) -> None:
    """In this process: in-process news (PostgreSQL: its NOTIFY too); from another
    connection: NOTIFY on PostgreSQL, polling for unpublished rows on SQLite. In this order,
    so a listener interrupted by in-process news must still hear the NOTIFY after."""
    for commit in commits(outbox):
        await claim_and_mark(outbox.store)
        waiting = asyncio.ensure_future(elapsed(outbox.store.wait_for_new(5)))
        await asyncio.sleep(0.05)
        await commit(events(1))
        assert await waiting < 0.05 + QUICK_SECONDS


async def test_a_commit_between_the_claim_and_the_wait_is_not_slept_through(
    outbox: Outbox,
) -> None:
    for commit in commits(outbox):
        await claim_and_mark(outbox.store)
        await commit(events(1))
        assert await elapsed(outbox.store.wait_for_new(5)) < QUICK_SECONDS


async def test_news_already_claimed_does_not_wake_the_next_wait(outbox: Outbox) -> None:
    for commit in commits(outbox):
        await claimed_ids(outbox.store)
        for _ in range(3):
            await commit(events(1))
        await asyncio.sleep(0.1)  # every NOTIFY has arrived (they travel after the commit)
        await outbox.store.wait_for_new(5)
        await claim_and_mark(outbox.store)

        # The commits were claimed, and queued news of them was drained.
        assert await elapsed(outbox.store.wait_for_new(0.3)) >= 0.25


# --- PostgreSQL: concurrent relays and late commits ---------------------------------------------


async def test_concurrent_claims_never_share_rows(outbox: Outbox) -> None:
    committed = events(6)
    await outbox.commit(*committed)
    second = outbox.another_store()
    try:
        async with outbox.store.claim(4) as first_batch:
            # PostgreSQL skips the locked rows; SQLite and memory wait for the first claim.
            second_claim = asyncio.ensure_future(claim_and_mark(second, 10))
            await asyncio.sleep(0.05)
            await first_batch.mark_published()
        second_records = await second_claim
    finally:
        await second.close()

    assert [r.event_id for r in first_batch.records] == ids(committed)[:4]
    assert [r.event_id for r in second_records] == ids(committed)[4:]
    assert await claimed_ids(outbox.store) == []


@pytest.mark.postgres
async def test_postgres_claims_skip_locked_rows_without_waiting(pg_outbox: Outbox) -> None:
    committed = events(6)
    await pg_outbox.commit(*committed)
    second = pg_outbox.another_store()
    try:
        async with pg_outbox.store.claim(4) as first_batch:
            # Still inside the first claim: a second claim that waited for it would time out.
            second_records = await asyncio.wait_for(claim_and_mark(second, 10), 5)
            await first_batch.mark_published()
    finally:
        await second.close()

    assert [r.event_id for r in first_batch.records] == ids(committed)[:4]
    assert [r.event_id for r in second_records] == ids(committed)[4:]


@pytest.mark.postgres
async def test_a_row_committed_after_later_rows_were_published_is_still_claimed(
    pg_outbox: Outbox,
) -> None:
    assert pg_outbox.database is not None
    slow, fast = a_user_created(1), a_user_created(2)
    async with pg_outbox.database.engine.connect() as slow_transaction:
        await write_outbox(slow_transaction, tables.outbox, [(slow, None)])  # lower position
        await pg_outbox.commit(fast)
        assert [r.event_id for r in await claim_and_mark(pg_outbox.store)] == [fast.event_id]
        await slow_transaction.commit()

    records = await claim_and_mark(pg_outbox.store)
    assert [r.event_id for r in records] == [slow.event_id]
    assert records[0].position < 2  # it did take the lower position


@pytest.mark.postgres
async def test_a_claim_leaves_no_transaction_or_lock_behind(
    pg_outbox: Outbox, clean_postgres_url: str
) -> None:
    await pg_outbox.commit(*events(2))
    await claimed_ids(pg_outbox.store)  # not marked
    await claim_and_mark(pg_outbox.store)
    await claimed_ids(pg_outbox.store)  # empty

    async with await psycopg.AsyncConnection.connect(libpq_url(clean_postgres_url)) as admin:
        cursor = await admin.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        )
        assert await cursor.fetchone() == (0,)
        cursor = await admin.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = 'outbox' AND l.pid <> pg_backend_pid()"
        )
        assert await cursor.fetchone() == (0,)


@pytest.mark.postgres
async def test_the_listener_reconnects_after_its_connection_is_killed(
    pg_outbox: Outbox, clean_postgres_url: str
) -> None:
    assert pg_outbox.commit_elsewhere is not None
    await claimed_ids(pg_outbox.store)  # starts listening
    async with await psycopg.AsyncConnection.connect(
        libpq_url(clean_postgres_url), autocommit=True
    ) as admin:
        cursor = await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        assert await cursor.fetchall() == [(True,)]

    # The broken connection and the reconnection each end a wait at once (news may have
    # been missed meanwhile), then waiting is as before.
    assert await elapsed(pg_outbox.store.wait_for_new(5)) < QUICK_SECONDS
    assert await elapsed(pg_outbox.store.wait_for_new(5)) < QUICK_SECONDS
    await claimed_ids(pg_outbox.store)
    waiting = asyncio.ensure_future(elapsed(pg_outbox.store.wait_for_new(5)))
    await asyncio.sleep(0.05)
    await pg_outbox.commit_elsewhere(events(1))
    assert await waiting < 0.05 + QUICK_SECONDS
