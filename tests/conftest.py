"""Database fixtures shared by every tier (contract, integration, e2e).

- `postgres_url` (session): URL of a fresh, empty PostgreSQL database created for this
  test session and dropped after it. Skips when the server is unreachable (fails under CI).
- `migrated_postgres_url` (session): the same database, migrated to head once.
- `clean_postgres_url` (function): the migrated database with every context table emptied;
  for sync tests (CLI) that build their own engines from the URL.
- `postgres_database` (function, async): a `SqlDatabase` on the clean database; disposed after.
- `sqlite_database` (function, async): a `SqlDatabase` on `tmp_path/data`, migrated to head
  (copied from a template migrated once per session).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.sql import migrate
from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase, sqlite_url_in
from tests.support.servers import fresh_postgres_database, truncate_context_tables


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url: str) -> str:
    database = SqlDatabase(postgres_url)
    for context in CONTEXT_SCHEMAS:
        migrate.upgrade(database, context)
    return postgres_url


@pytest.fixture
def clean_postgres_url(migrated_postgres_url: str) -> str:
    truncate_context_tables(migrated_postgres_url, CONTEXT_SCHEMAS)
    return migrated_postgres_url


@pytest.fixture
async def postgres_database(clean_postgres_url: str) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase(clean_postgres_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory migrated to head once; tests get copies of its files."""
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    database = SqlDatabase(sqlite_url_in(data_dir))
    for context in CONTEXT_SCHEMAS:
        migrate.upgrade(database, context)
    return data_dir


@pytest.fixture
async def sqlite_database(_sqlite_template: Path, tmp_path: Path) -> AsyncIterator[SqlDatabase]:
    data_dir = tmp_path / "data"
    shutil.copytree(_sqlite_template, data_dir)
    database = SqlDatabase(sqlite_url_in(data_dir))
    yield database
    await database.dispose()
