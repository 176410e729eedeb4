"""SqlDatabase: URL handling, laziness, and what every SQLite connection is set up with."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from adapters.sql.database import SqlDatabase, sqlite_url_in


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:secret@db.example:5432/petpro",
        "postgres://u:secret@db.example:5432/petpro",
        "postgresql+psycopg://u:secret@db.example:5432/petpro",
        "postgresql+asyncpg://u:secret@db.example:5432/petpro",
    ],
)
def test_postgres_urls_use_asyncpg_for_requests_and_psycopg_for_migrations(url: str) -> None:
    database = SqlDatabase(url)
    assert database.dialect_name == "postgresql"
    assert database.sync_url.drivername == "postgresql+psycopg"
    assert database.async_url.drivername == "postgresql+asyncpg"
    assert database.sync_url.database == "petpro"
    assert "secret" not in database.url_for_display and "secret" not in repr(database)


def test_sqlite_urls_use_aiosqlite_and_pysqlite(tmp_path: Path) -> None:
    url = sqlite_url_in(tmp_path / "new" / "dir")
    assert url == f"sqlite:///{tmp_path / 'new' / 'dir' / 'petpro.db'}"
    database = SqlDatabase(url)
    assert database.dialect_name == "sqlite"
    assert database.async_url.drivername == "sqlite+aiosqlite"
    assert database.sync_url.drivername == "sqlite+pysqlite"
    assert database.sqlite_file == tmp_path / "new" / "dir" / "petpro.db"


@pytest.mark.parametrize("url", ["mysql://x@y/z", "sqlite://", "sqlite:///:memory:", "memory://"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        SqlDatabase(url)


async def test_nothing_connects_before_use(tmp_path: Path) -> None:
    unreachable = SqlDatabase("postgresql://nobody@127.0.0.1:1/nothing")
    assert unreachable.engine is unreachable.engine  # created lazily, once, without connecting
    with pytest.raises((OperationalError, OSError)):  # asyncpg raises the socket error itself
        await unreachable.ping()
    await unreachable.dispose()

    data_dir = tmp_path / "data"
    SqlDatabase(sqlite_url_in(data_dir))
    assert not data_dir.exists()  # not even the directory until the first connection


async def test_sqlite_connections_attach_schemas_and_set_pragmas(tmp_path: Path) -> None:
    database = SqlDatabase(sqlite_url_in(tmp_path / "data"))
    try:
        await database.ping()
        async with database.engine.connect() as connection:
            databases = {
                row.name: row.file
                for row in (await connection.execute(text("PRAGMA database_list"))).all()
            }
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
            timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
            journal = (await connection.execute(text("PRAGMA auth.journal_mode"))).scalar()
    finally:
        await database.dispose()
    assert databases["auth"] == str(tmp_path / "data" / "auth.db")
    assert foreign_keys == 1
    assert timeout == 5000
    assert journal == "wal"


@pytest.mark.postgres
async def test_ping_postgres(postgres_database: SqlDatabase) -> None:
    await postgres_database.ping()
    assert postgres_database.dialect_name == "postgresql"


async def test_sqlite_units_of_work_queue_for_the_writer_slot_and_release_it_on_failure(
    tmp_path: Path,
) -> None:
    from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork

    not_a_directory = tmp_path / "occupied"
    not_a_directory.write_text("a file where the data directory should be")
    broken = SqlDatabase(sqlite_url_in(not_a_directory / "data"))
    for _ in range(2):  # a slot leaked by the first failure would hang the second attempt
        with pytest.raises(OSError):
            await asyncio.wait_for(SqlAuthUnitOfWork(broken).__aenter__(), timeout=5)

    database = SqlDatabase(sqlite_url_in(tmp_path / "data"))
    order: list[str] = []

    async def hold(name: str) -> None:
        async with SqlAuthUnitOfWork(database):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    try:
        await asyncio.gather(hold("first"), hold("second"))
    finally:
        await database.dispose()
    assert order == ["first in", "first out", "second in", "second out"]
