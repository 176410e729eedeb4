"""The auth unit of work on SQL: one connection, one transaction, the outbox in it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.auth.repositories import (
    SqlLoginFailureLog,
    SqlPetRepository,
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from adapters.sql.auth.tables import outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox import RecordedEvent, write_outbox
from petpro_core.auth.ports import (
    LoginFailureLog,
    PetRepository,
    RefreshTokenRepository,
    UserRepository,
)
from petpro_core.shared.events import Event
from petpro_core.shared.tracing import current_context


class SqlAuthUnitOfWork:
    """`async with` opens a connection; the transaction begins with the first statement.

    `commit` writes the recorded events to `auth.outbox` and commits them with the change;
    `rollback` drops both. After either, the unit of work can be used again inside the same
    block (a new transaction begins with the next statement). Leaving the block rolls back
    whatever was not committed and returns the connection to the pool.
    """

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        self._connection: AsyncConnection | None = None
        self._resources: AsyncExitStack | None = None
        self._pending: list[RecordedEvent] = []
        # Typed as the ports, so this class satisfies the AuthUnitOfWork protocol.
        self.users: UserRepository = SqlUserRepository(self._require_connection)
        self.pets: PetRepository = SqlPetRepository(self._require_connection)
        self.refresh_tokens: RefreshTokenRepository = SqlRefreshTokenRepository(
            self._require_connection
        )
        self.login_failures: LoginFailureLog = SqlLoginFailureLog(self._require_connection)

    def _require_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._connection

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        async with AsyncExitStack() as resources:
            await resources.enter_async_context(self._database.transaction_slot())
            self._connection = await resources.enter_async_context(self._database.engine.connect())
            self._resources = resources.pop_all()  # released in __aexit__: connection, then slot
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        resources, self._resources = self._resources, None
        self._pending = []
        if resources is None:
            return
        async with resources:
            if connection is not None and connection.in_transaction():
                await connection.rollback()

    def record(self, *events: Event) -> None:
        context = current_context()
        headers = context.as_headers() if context is not None else None
        self._pending.extend((event, headers) for event in events)

    async def commit(self) -> None:
        connection = self._require_connection()
        await write_outbox(connection, outbox, self._pending)
        await connection.commit()
        self._pending = []

    async def rollback(self) -> None:
        connection = self._require_connection()
        self._pending = []
        if connection.in_transaction():
            await connection.rollback()
