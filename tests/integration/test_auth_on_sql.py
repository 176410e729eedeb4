"""The auth handlers end to end on the SQL stores (SQLite and PostgreSQL), through the bus."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from adapters.sql.auth import tables
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase
from petpro_core.auth.commands import Login, RefreshSession, RegisterUser
from petpro_core.auth.domain.errors import EmailAlreadyRegistered, InvalidToken
from tests.support.auth import STRONG_PASSWORD, AuthHarness, auth_harness


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> SqlDatabase:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    db: SqlDatabase = request.getfixturevalue(fixture)
    return db


@pytest.fixture
def harness(database: SqlDatabase) -> AuthHarness:
    return auth_harness(lambda: SqlAuthUnitOfWork(database))


async def _outbox_types(database: SqlDatabase) -> list[str]:
    async with database.engine.connect() as connection:
        statement = select(tables.outbox.c.event_type).order_by(tables.outbox.c.position)
        return list((await connection.execute(statement)).scalars())


async def test_register_login_refresh_and_replay(
    harness: AuthHarness, database: SqlDatabase
) -> None:
    user = await harness.bus.execute(
        RegisterUser(email="Ann@Example.com", display_name="Ann", password=STRONG_PASSWORD)
    )
    assert user.email == "ann@example.com"
    with pytest.raises(EmailAlreadyRegistered):
        await harness.bus.execute(
            RegisterUser(email="ANN@example.com", display_name="Ann 2", password=STRONG_PASSWORD)
        )
    assert await _outbox_types(database) == ["petpro.user.created.v1"]

    pair = await harness.bus.execute(
        Login(email="ann@example.com", password=STRONG_PASSWORD, client_address="192.0.2.1")
    )
    rotated = await harness.bus.execute(RefreshSession(refresh_token=pair.refresh_token))
    assert rotated.refresh_token != pair.refresh_token

    with pytest.raises(InvalidToken):  # replay of the spent token revokes the family
        await harness.bus.execute(RefreshSession(refresh_token=pair.refresh_token))
    with pytest.raises(InvalidToken):
        await harness.bus.execute(RefreshSession(refresh_token=rotated.refresh_token))


async def test_racing_registrations_of_one_email_create_one_user(
    harness: AuthHarness, database: SqlDatabase
) -> None:
    results = await asyncio.gather(
        *(
            harness.bus.execute(
                RegisterUser(email=email, display_name="Racer", password=STRONG_PASSWORD)
            )
            for email in ("race@example.com", "RACE@example.com", "Race@Example.com")
        ),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 2
    assert all(isinstance(f, EmailAlreadyRegistered) for f in failures)
    assert await _outbox_types(database) == ["petpro.user.created.v1"]
