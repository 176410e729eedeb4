"""`adapters.sql.statements.Statement` answers as `AsyncConnection.execute` does, on SQLite
(where it is that call) and on PostgreSQL (where it runs on asyncpg directly): the same rows
and values, row counts, transactions and errors. On booking's idempotency-key table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, NoResultFound, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.booking.tables import idempotency_keys as keys
from adapters.sql.database import SqlDatabase
from adapters.sql.errors import sqlstate
from adapters.sql.statements import Statement

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)

INSERT = Statement(insert(keys))
BY_SCOPE = Statement(select(keys).where(keys.c.scope == bindparam("scope")).order_by(keys.c.key))
COMPLETE = Statement(
    update(keys)
    .where(keys.c.scope == bindparam("_scope"), keys.c.state == "in_flight")
    .values(state="completed", status_code=bindparam("_status"))
)
COUNT_IN = Statement(  # an expanding IN: SQLAlchemy's own execution on every dialect
    select(text("count(*)"))
    .select_from(keys)
    .where(keys.c.key.in_(bindparam("keys", expanding=True)))
)


def record(key: str, *, scope: str = "s", body: bytes | None = b"\x00\xff") -> dict[str, Any]:
    return {
        "scope": scope,
        "key": key,
        "fingerprint": "f" * 64,
        "state": "in_flight",
        "status_code": None,
        "response_headers": '[["a","b"]]',
        "response_body": body,
        "created_at": T0,
        "locked_until": T0 + timedelta(seconds=30),
        "expires_at": T0 + timedelta(days=1),
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> SqlDatabase:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    found: SqlDatabase = request.getfixturevalue(fixture)
    return found


@pytest.fixture
async def connection(database: SqlDatabase) -> AsyncIterator[AsyncConnection]:
    async with database.engine.connect() as opened:
        yield opened


async def stored(database: SqlDatabase) -> list[str]:
    async with database.engine.connect() as other:
        rows = await other.execute(select(keys.c.key).order_by(keys.c.key))
        return [row.key for row in rows]


async def test_rows_and_values_are_sqlalchemys(connection: AsyncConnection) -> None:
    await INSERT.execute(connection, record("k1"))
    await INSERT.execute(connection, record("k2", body=None))

    rows = (await BY_SCOPE.execute(connection, {"scope": "s"})).all()
    expected = (await connection.execute(BY_SCOPE.statement, {"scope": "s"})).all()

    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert rows[0].key == "k1" and rows[0].response_body == b"\x00\xff"
    assert rows[0].created_at == T0 and rows[0].created_at.tzinfo is not None
    assert rows[1].response_body is None


async def test_first_one_scalar(connection: AsyncConnection) -> None:
    await INSERT.execute(connection, record("k1"))
    found = await BY_SCOPE.execute(connection, {"scope": "s"})
    missing = await BY_SCOPE.execute(connection, {"scope": "nobody"})

    assert found.one().key == "k1" and found.scalar() == "s" and len(found) == 1
    assert missing.first() is None and missing.scalar() is None
    with pytest.raises(NoResultFound):
        missing.one()


async def test_row_counts(connection: AsyncConnection) -> None:
    await INSERT.execute(connection, record("k1"))
    await INSERT.execute(connection, record("k2"))

    assert (await COMPLETE.execute(connection, {"_scope": "s", "_status": 201})).rowcount == 2
    assert (await COMPLETE.execute(connection, {"_scope": "s", "_status": 201})).rowcount == 0


async def test_commit_and_rollback_cover_its_statements(
    database: SqlDatabase, connection: AsyncConnection
) -> None:
    await INSERT.execute(connection, record("kept"))
    await connection.execute(insert(keys), record("kept-too"))  # the same transaction
    await connection.commit()
    await INSERT.execute(connection, record("dropped"))
    await connection.rollback()

    assert await stored(database) == ["kept", "kept-too"]


async def test_statements_after_a_commit_open_a_new_transaction(
    database: SqlDatabase, connection: AsyncConnection
) -> None:
    await INSERT.execute(connection, record("first"))
    await connection.commit()
    await INSERT.execute(connection, record("second"))
    assert connection.in_transaction()
    await connection.commit()

    assert await stored(database) == ["first", "second"]


async def test_execute_many(database: SqlDatabase, connection: AsyncConnection) -> None:
    await INSERT.execute_many(connection, [record(f"k{n}") for n in range(3)])
    await connection.commit()

    assert await stored(database) == ["k0", "k1", "k2"]


async def test_a_violation_is_sqlalchemys_integrity_error(
    database: SqlDatabase, connection: AsyncConnection
) -> None:
    await INSERT.execute(connection, record("k1"))
    with pytest.raises(IntegrityError) as raised:
        await INSERT.execute(connection, record("k1"))
    await connection.rollback()

    if database.dialect_name == "postgresql":
        assert sqlstate(raised.value) == "23505"
        assert "pk_idempotency_keys" in str(raised.value.orig)
    assert raised.value.__cause__ is raised.value.orig  # chained as SQLAlchemy chains it
    await INSERT.execute(connection, record("k2"))  # usable again after the rollback
    await connection.commit()
    assert await stored(database) == ["k2"]


async def test_a_missing_parameter_is_refused(connection: AsyncConnection) -> None:
    with pytest.raises(SQLAlchemyError, match="A value is required for bind parameter 'scope'"):
        await BY_SCOPE.execute(connection, {})


async def test_an_expanding_in_runs_through_sqlalchemy(connection: AsyncConnection) -> None:
    await INSERT.execute_many(connection, [record(f"k{n}") for n in range(3)])

    counted = await COUNT_IN.execute(connection, {"keys": ["k0", "k2", "nope"]})

    assert counted.scalar_one() == 2


@pytest.mark.postgres
async def test_on_postgresql_it_bypasses_sqlalchemys_execution(
    postgres_database: SqlDatabase,
) -> None:
    executed: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        executed.append(statement)

    event.listen(postgres_database.engine.sync_engine, "before_cursor_execute", seen)
    async with postgres_database.engine.connect() as connection:
        await INSERT.execute(connection, record("k1"))
        await BY_SCOPE.execute(connection, {"scope": "s"})
        await connection.execute(select(keys.c.key))
        await connection.commit()

    assert len(executed) == 1  # only the plain SQLAlchemy select


@pytest.mark.postgres
async def test_a_broken_connection_is_invalidated(postgres_database: SqlDatabase) -> None:
    async with postgres_database.engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await connection.commit()
        async with postgres_database.engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            await BY_SCOPE.execute(connection, {"scope": "s"})
        assert raised.value.connection_invalidated
        await connection.rollback()

    async with postgres_database.engine.connect() as fresh:  # the pool recovers
        assert (await BY_SCOPE.execute(fresh, {"scope": "s"})).all() == []


@pytest.mark.postgres
async def test_a_cancelled_statement_invalidates_its_connection(
    postgres_database: SqlDatabase,
) -> None:
    sleep = Statement(select(func.pg_sleep(bindparam("seconds"))))
    async with postgres_database.engine.connect() as connection:
        running = asyncio.create_task(sleep.execute(connection, {"seconds": 30}))
        await asyncio.sleep(0.2)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert connection.invalidated

    async with postgres_database.engine.connect() as fresh:  # the pool hands out a sound one
        assert (await BY_SCOPE.execute(fresh, {"scope": "s"})).all() == []


async def test_reads_before_the_first_write_need_no_transaction(
    database: SqlDatabase, connection: AsyncConnection
) -> None:
    await INSERT.execute(connection, record("k1"))
    await connection.commit()

    assert (await BY_SCOPE.execute(connection, {"scope": "s"})).one().key == "k1"
    if database.dialect_name == "postgresql":
        assert not connection.in_transaction()  # SQLite: SQLAlchemy's own BEGIN, as always
    await INSERT.execute(connection, record("k2"))
    assert connection.in_transaction()
    assert len(await BY_SCOPE.execute(connection, {"scope": "s"})) == 2  # its own write
    await connection.rollback()

    assert await stored(database) == ["k1"]
