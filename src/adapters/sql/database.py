"""One `SqlDatabase` per database URL: engines, dialect quirks, and SQLite's attached schemas.

PostgreSQL (asyncpg for the async engine, psycopg 3 for Alembic and LISTEN) keeps each
bounded context in its own schema. SQLite keeps each context's schema in its own file next
to the main database file, attached under the schema's name on every new connection, so
`auth.users` means the same on both. SQLite connections also get foreign keys, a busy
timeout and WAL, and SQLAlchemy (not the sqlite3 module) emits BEGIN so that a unit of work
is really one transaction; write transactions start with BEGIN IMMEDIATE so two writers
queue on the busy timeout instead of dead-locking on a lock upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# The schema of every bounded context that has tables; on SQLite one attached file each.
CONTEXT_SCHEMAS: tuple[str, ...] = (
    "auth",
    "booking",
    "inventory",
    "clinic",
    "vendor",
    "notification",
    "finance",
)

PREPARED_STATEMENTS_PER_CONNECTION = 1000

SQLITE_MAIN_FILE = "petpro.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option naming the statement that opens a SQLite transaction.
SQLITE_BEGIN_OPTION = "petpro_sqlite_begin"
_DEFAULT_SQLITE_BEGIN = "BEGIN IMMEDIATE"

_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+asyncpg"}
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}


@dataclass(frozen=True)
class PoolSettings:
    """PostgreSQL connections per process. Connections beyond `size` (up to `overflow` more)
    are closed when returned, so `size` should cover the usual concurrency. Without
    `pre_ping` a connection a database restart broke fails one request (its pool is then
    renewed); with it every checkout costs a round trip."""

    size: int = 20
    overflow: int = 10
    pre_ping: bool = False


def sqlite_url_in(data_dir: Path) -> str:
    """`sqlite:///<data_dir>/petpro.db`; the directory is made when the database is first opened."""
    data_dir = Path(data_dir).expanduser().resolve()
    return f"sqlite:///{data_dir / SQLITE_MAIN_FILE}"


def sqlite_schema_file(main_file: Path, schema: str) -> Path:
    """The file holding `schema` for the SQLite database whose main file is `main_file`."""
    return main_file.parent / f"{schema}.db"


class SqlDatabase:
    """Engines for one database URL. Nothing connects until the engine is first used."""

    def __init__(self, url: str, *, echo: bool = False, pool: PoolSettings | None = None) -> None:
        self._pool = pool or PoolSettings()
        parsed = make_url(url)
        driver = parsed.drivername
        if driver in _POSTGRES_DRIVERS:
            self._dialect = "postgresql"
            # asyncpg serves requests (about half psycopg's CPU per round trip, and it keeps
            # its prepared statements); psycopg serves Alembic and LISTEN/NOTIFY.
            self._async_url = parsed.set(drivername="postgresql+asyncpg")
            self._sync_url = parsed.set(drivername="postgresql+psycopg")
            self._sqlite_file: Path | None = None
        elif driver in _SQLITE_DRIVERS:
            self._dialect = "sqlite"
            if (
                not parsed.database
                or parsed.database == ":memory:"
                or parsed.database.startswith("file:")
            ):
                raise ValueError("SQLite needs a database file: sqlite:///path/to/petpro.db")
            self._sqlite_file = Path(parsed.database).expanduser().resolve()
            self._async_url = parsed.set(
                drivername="sqlite+aiosqlite", database=str(self._sqlite_file)
            )
            self._sync_url = parsed.set(
                drivername="sqlite+pysqlite", database=str(self._sqlite_file)
            )
        else:
            raise ValueError(
                f"unsupported database URL scheme {driver!r}: use postgresql://… or sqlite:///…"
            )
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._sqlite_writer: asyncio.Lock | None = None
        # In-process news of outbox commits, per schema, so a relay in this process wakes
        # at once instead of waiting for its next poll (SQLite has no LISTEN/NOTIFY).
        self._outbox_commits: dict[str, int] = {}
        self._outbox_waiters: dict[str, asyncio.Event] = {}

    def __repr__(self) -> str:
        return f"SqlDatabase({self.url_for_display!r})"

    @property
    def url_for_display(self) -> str:
        """The URL with any password hidden."""
        return self._async_url.render_as_string(hide_password=True)

    @property
    def dialect_name(self) -> str:
        """`postgresql` or `sqlite`."""
        return self._dialect

    @property
    def async_url(self) -> URL:
        return self._async_url

    @property
    def sync_url(self) -> URL:
        """The URL for synchronous tools (Alembic): psycopg or pysqlite."""
        return self._sync_url

    @property
    def sqlite_file(self) -> Path | None:
        """The main SQLite file (context schemas are files next to it); None on PostgreSQL."""
        return self._sqlite_file

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = self._create_async_engine()
        return self._engine

    def _create_async_engine(self) -> AsyncEngine:
        kwargs: dict[str, Any] = {"echo": self._echo}
        if self._dialect == "postgresql":
            kwargs.update(
                pool_size=self._pool.size,
                max_overflow=self._pool.overflow,
                pool_pre_ping=self._pool.pre_ping,
                # Every context's statements share one pool: well over SQLAlchemy's default
                # of 100 prepared statements per connection, so a smaller cache evicts and
                # PostgreSQL parses and plans the hot statements again on every request.
                connect_args={"prepared_statement_cache_size": PREPARED_STATEMENTS_PER_CONNECTION},
            )
        engine = create_async_engine(self._async_url, **kwargs)
        if self._dialect == "sqlite":
            self._prepare_sqlite_file()
            install_sqlite_listeners(engine.sync_engine, self._sqlite_file)  # type: ignore[arg-type]
        return engine

    def create_sync_engine(self) -> Engine:
        """A new synchronous engine (for Alembic); the caller disposes it."""
        kwargs: dict[str, Any] = {"echo": self._echo}
        if self._dialect == "sqlite":
            self._prepare_sqlite_file()
            engine = create_engine(self._sync_url, **kwargs)
            install_sqlite_listeners(engine, self._sqlite_file)  # type: ignore[arg-type]
            return engine
        return create_engine(self._sync_url, pool_pre_ping=True, **kwargs)

    def _prepare_sqlite_file(self) -> None:
        assert self._sqlite_file is not None
        self._sqlite_file.parent.mkdir(parents=True, exist_ok=True)

    async def ping(self) -> None:
        """SELECT 1; raises when the database cannot be reached."""
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN"})
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        self._sqlite_writer = None

    def announce_outbox_commit(self, schema: str) -> None:
        """A unit of work of this process committed rows to `schema`'s outbox."""
        self._outbox_commits[schema] = self._outbox_commits.get(schema, 0) + 1
        waiter = self._outbox_waiters.pop(schema, None)
        if waiter is not None:
            waiter.set()

    def outbox_commits(self, schema: str) -> int:
        """How many outbox commits this process has announced for `schema` so far."""
        return self._outbox_commits.get(schema, 0)

    async def wait_for_outbox_commit(self, schema: str, *, after: int, seconds: float) -> None:
        """Return once more than `after` commits were announced for `schema`, or after
        `seconds`. Read `outbox_commits` before looking at the outbox, pass it as `after`,
        and a commit in between is never missed."""
        if self.outbox_commits(schema) != after:
            return
        waiter = self._outbox_waiters.setdefault(schema, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), seconds)

    def transaction_slot(self) -> AbstractAsyncContextManager[None]:
        """Hold for the life of a unit of work. SQLite has one writer at a time, and every
        transaction here begins IMMEDIATE; queuing them in this process is much cheaper than
        letting connections collide in SQLite's sleeping busy handler (other processes still
        meet busy_timeout). PostgreSQL needs no slot (a no-op, cheap on every request). Not
        re-entrant: never nest two units of work of one SQLite database in one task."""
        if self._dialect != "sqlite":
            return nullcontext()
        if self._sqlite_writer is None:
            self._sqlite_writer = asyncio.Lock()
        return self._sqlite_writer


def install_sqlite_listeners(engine: Engine, main_file: Path) -> None:
    """Attach the context schemas, set the pragmas, and let SQLAlchemy emit BEGIN.

    `engine` is a sync engine (for an AsyncEngine pass its `sync_engine`).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 module from opening (and not opening) transactions on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            for schema in CONTEXT_SCHEMAS:
                path = sqlite_schema_file(main_file, schema)
                cursor.execute(f"ATTACH DATABASE ? AS {schema}", (str(path),))
                cursor.execute(f"PRAGMA {schema}.journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        statement = connection.get_execution_options().get(
            SQLITE_BEGIN_OPTION, _DEFAULT_SQLITE_BEGIN
        )
        connection.exec_driver_sql(statement)
